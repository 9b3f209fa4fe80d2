#!/usr/bin/env python3
import sys
rows = sys.stdin.read().splitlines()[1:]
for _ in rows[:-1]:
    print(0.5)
