#!/usr/bin/env python3
"""The peer: pandas groupby computing the same per-group rates and disparities."""
import sys

import numpy as np
import pandas as pd

import time

df = pd.read_csv(sys.argv[1])
t0 = time.perf_counter()
df["pred"] = (df["score"] >= 0.5).astype(int)
df["tp"] = df["pred"] & df["label"]
df["fp"] = df["pred"] & (1 - df["label"])
g = df.groupby(["sex", "region"]).agg(n=("label", "size"), pos=("label", "sum"), pp=("pred", "sum"),
                                       tp=("tp", "sum"), fp=("fp", "sum"))
g["selection_rate"] = g.pp / g.n
g["tpr"] = g.tp / g.pos
g["fpr"] = g.fp / (g.n - g.pos)
g["precision"] = g.tp / g.pp
g["accuracy"] = (g.tp + (g.n - g.pos - g.fp)) / g.n
out = {
    "dp_diff": g.selection_rate.max() - g.selection_rate.min(),
    "dp_ratio": g.selection_rate.min() / g.selection_rate.max(),
    "eo_diff": max(g.tpr.max() - g.tpr.min(), g.fpr.max() - g.fpr.min()),
    "pp_diff": g.precision.max() - g.precision.min(),
    "acc_diff": g.accuracy.max() - g.accuracy.min(),
}
print(f"computed in {time.perf_counter() - t0:.3f} s after reading", file=sys.stderr)
print(out)
