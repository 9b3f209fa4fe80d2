#!/usr/bin/env python3
import sys
sys.stdin.readline()
print("loading weights", file=sys.stderr)
print("Traceback: KeyError: 'x3'", file=sys.stderr)
sys.exit(1)
