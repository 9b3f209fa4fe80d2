#!/usr/bin/env python3
"""Writes N binary predictions (id,label,score,group) to a CSV, deterministic for a seed."""
import sys

import numpy as np
import pandas as pd

n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
rng = np.random.default_rng(42)
label = (rng.random(n) < 0.1).astype(np.int8)
score = np.clip(rng.normal(0.3 + 0.25 * label, 0.15), 0, 1).round(6)
group = rng.choice(np.array([f"g{i:02d}" for i in range(12)]), n)
pd.DataFrame({"id": np.arange(n), "label": label, "score": score, "group": group}).to_csv(
    sys.argv[1], index=False, chunksize=1_000_000)
