#!/usr/bin/env python3
"""The loop users write: pandas.read_csv, then a paired bootstrap of the ROC AUC difference
with scikit-learn. Runs R resamples and prints the seconds per resample and for reading."""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

t0 = time.perf_counter()
c = pd.read_csv(sys.argv[1])
b = pd.read_csv(sys.argv[2])
t_read = time.perf_counter() - t0
R = int(sys.argv[3])
y, s1, s2 = c["label"].to_numpy(), c["score"].to_numpy(), b["score"].to_numpy()
rng = np.random.default_rng(1)
n = len(y)
t1 = time.perf_counter()
diffs = []
for _ in range(R):
    idx = rng.integers(0, n, n)
    diffs.append(roc_auc_score(y[idx], s1[idx]) - roc_auc_score(y[idx], s2[idx]))
per = (time.perf_counter() - t1) / R
print(f"{t_read:.3f} {per:.4f}")
