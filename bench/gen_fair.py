#!/usr/bin/env python3
"""Writes N binary predictions with two sensitive columns (sex x region: 12 groups)."""
import sys

import numpy as np
import pandas as pd

n = int(sys.argv[2])
rng = np.random.default_rng(5)
sex = rng.choice(np.array(["F", "M"]), n)
region = rng.choice(np.array(["eu", "us", "apac", "latam", "mena", "anz"]), n)
label = (rng.random(n) < 0.2 + 0.05 * (sex == "M")).astype(np.int8)
score = np.clip(rng.normal(0.3 + 0.3 * label, 0.2), 0, 1).round(6)
pd.DataFrame({"label": label, "score": score, "sex": sex, "region": region}).to_csv(sys.argv[1], index=False, chunksize=1_000_000)
