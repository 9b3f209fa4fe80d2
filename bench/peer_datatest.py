#!/usr/bin/env python3
"""The peer: pandas and scipy running the same expectations and drift on every column."""
import sys

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

ref = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
out = {"rows": len(cur) >= 1000}
for col in cur.columns:
    s, r = cur[col], ref[col]
    out[col + ".not_null"] = s.notna().mean() >= 0.99
    out[col + ".unique"] = s.is_unique
    if np.issubdtype(s.dtype, np.number):
        out[col + ".type"] = True
        out[col + ".between"] = s.between(-1e9, 1e9).mean() >= 0.999
        out[col + ".mean"] = 0 <= s.mean() <= 1e6
        out[col + ".stdev"] = 0 <= s.std() <= 1e6
        out[col + ".quantile"] = 0 <= s.quantile(0.5) <= 1e6
        a, b = r.dropna().to_numpy(), s.dropna().to_numpy()
        out[col + ".drift"] = stats.wasserstein_distance(a, b) / np.std(a) < 0.1
    else:
        out[col + ".in_set"] = s.isin(r.unique()).mean() >= 0.99
        out[col + ".regex"] = s.astype(str).str.contains(r"^c[0-9]+$").mean() >= 0.95
        cats = sorted(set(r.unique()) | set(s.unique()))
        rc = r.value_counts().reindex(cats, fill_value=0).to_numpy()
        cc = s.value_counts().reindex(cats, fill_value=0).to_numpy()
        out[col + ".drift"] = jensenshannon(rc, cc, base=2) < 0.1
print(sum(out.values()), len(out))
