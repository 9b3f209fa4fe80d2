#!/usr/bin/env python3
"""Writes about N ranking rows (query,relevance,score,market) to a CSV: queries of 2 to 40 items,
graded relevance 0-4, scores with 4 decimals (some ties); deterministic for a seed."""
import sys

import numpy as np
import pandas as pd

n = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
rng = np.random.default_rng(42)
sizes = rng.integers(2, 41, n // 21 + 1)
sizes = sizes[np.cumsum(sizes) <= n]
query = np.repeat(np.arange(len(sizes)), sizes)
m = len(query)
rel = rng.choice(np.array([0, 0, 0, 0, 1, 1, 2, 3, 4], dtype=np.int8), m)
score = (0.2 * rel + rng.normal(0, 0.5, m)).round(4)
market = np.array([f"m{i}" for i in range(8)])[query % 8]
pd.DataFrame({"query": query, "relevance": rel, "score": score, "market": market}).to_csv(
    sys.argv[1], index=False, chunksize=1_000_000)
