#!/usr/bin/env python3
"""Writes a reference and a current table of N rows: 12 number and 8 category columns."""
import sys

import numpy as np
import pandas as pd


def table(n, seed, shift):
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(12):
        cols[f"num{i}"] = np.round(rng.normal(100 + shift * i, 15, n), 3)
    for i in range(8):
        cols[f"cat{i}"] = rng.choice([f"c{k}" for k in range(3 + i)], n)
    return pd.DataFrame(cols)


ref_path, cur_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
table(n, 1, 0.0).to_csv(ref_path, index=False, chunksize=500_000)
table(n, 2, 0.2).to_csv(cur_path, index=False, chunksize=500_000)
