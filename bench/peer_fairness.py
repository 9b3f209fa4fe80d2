#!/usr/bin/env python3
"""The peer: what fairlearn's MetricFrame does, with pandas groupby and scikit-learn, computing
what mlgate-fairness computes: per group (and overall) n, selection rate, TPR, FPR, FNR, TNR,
precision, accuracy and ROC AUC, then the disparities."""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

df = pd.read_csv(sys.argv[1])
t0 = time.perf_counter()
df["pred"] = (df["score"] >= 0.5).astype(int)
df["tp"] = df["pred"] & df["label"]
df["fp"] = df["pred"] & (1 - df["label"])
by = df.groupby(["sex", "region"])
g = by.agg(n=("label", "size"), pos=("label", "sum"), pp=("pred", "sum"), tp=("tp", "sum"),
           fp=("fp", "sum"))
g["roc_auc"] = by.apply(lambda d: roc_auc_score(d["label"], d["score"]))
g.loc["overall"] = g.sum()
g.loc["overall", "roc_auc"] = roc_auc_score(df["label"], df["score"])
g["selection_rate"] = g.pp / g.n
g["tpr"] = g.tp / g.pos
g["fpr"] = g.fp / (g.n - g.pos)
g["fnr"] = 1 - g.tpr
g["tnr"] = 1 - g.fpr
g["precision"] = g.tp / g.pp
g["accuracy"] = (g.tp + (g.n - g.pos - g.fp)) / g.n
groups = g.drop(index="overall")
out = {
    "dp_diff": groups.selection_rate.max() - groups.selection_rate.min(),
    "dp_ratio": groups.selection_rate.min() / groups.selection_rate.max(),
    "eo_diff": max(groups.tpr.max() - groups.tpr.min(), groups.fpr.max() - groups.fpr.min()),
    "pp_diff": groups.precision.max() - groups.precision.min(),
    "acc_diff": groups.accuracy.max() - groups.accuracy.min(),
}
print(f"computed in {time.perf_counter() - t0:.3f} s after reading", file=sys.stderr)
print(g.to_string())
print(out)
