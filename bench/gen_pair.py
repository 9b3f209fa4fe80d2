#!/usr/bin/env python3
"""Writes paired candidate/baseline binary predictions (id,label,score) for N rows."""
import sys

import numpy as np
import pandas as pd

out_c, out_b, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(7)
y = (rng.random(n) < 0.3).astype(np.int8)
common = rng.normal(size=n)
s1 = 1 / (1 + np.exp(-(common + 1.0 * (2 * y - 1) + rng.normal(0, 0.6, n))))
s2 = 1 / (1 + np.exp(-(common + 0.9 * (2 * y - 1) + rng.normal(0, 0.6, n))))
ids = np.arange(n)
pd.DataFrame({"id": ids, "label": y, "score": s1.round(8)}).to_csv(out_c, index=False)
pd.DataFrame({"id": ids, "label": y, "score": s2.round(8)}).to_csv(out_b, index=False)
