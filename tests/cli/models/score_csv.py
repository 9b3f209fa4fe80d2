#!/usr/bin/env python3
"""Prints a CSV with a score column and a diagnostic column."""
import csv
import math
import sys

print("id,score")
for row in csv.DictReader(sys.stdin):
    print(f"{row['id']},{1 / (1 + math.exp(-float(row['x1']))):.17g}")
