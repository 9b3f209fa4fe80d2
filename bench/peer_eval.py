#!/usr/bin/env python3
"""The peer: pandas.read_csv plus scikit-learn's ten binary metrics, overall and per group."""
import sys

import pandas as pd
from sklearn import metrics as M

df = pd.read_csv(sys.argv[1])
slices = len(sys.argv) > 2 and sys.argv[2] == "--slices"


def ten(d):
    y, s = d["label"].to_numpy(), d["score"].to_numpy()
    p = s >= 0.5
    return [M.accuracy_score(y, p), M.balanced_accuracy_score(y, p), M.precision_score(y, p),
            M.recall_score(y, p), M.f1_score(y, p), M.matthews_corrcoef(y, p), M.roc_auc_score(y, s),
            M.average_precision_score(y, s), M.log_loss(y, s), M.brier_score_loss(y, s)]


out = ten(df)
if slices:
    for _, d in df.groupby("group"):
        ten(d)
print(out)
