#!/usr/bin/env python3
"""The peer: pandas.read_csv, scikit-learn's ndcg_score per query (variable-length queries need a
call each) and pandas for precision, recall, hit rate, MRR and MAP at k (ties broken by row
order, which mlgate averages instead), overall and per market."""
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import ndcg_score

K = 10
df = pd.read_csv(sys.argv[1])


def metrics(d):
    nd = [ndcg_score([g["relevance"].to_numpy()], [g["score"].to_numpy()], k=K)
          for _, g in d.groupby("query", sort=False)]
    d = d.sort_values(["query", "score"], ascending=[True, False], kind="stable")
    rank = d.groupby("query", sort=False).cumcount() + 1
    hit = (d["relevance"] > 0).astype(float)
    top = hit * (rank <= K)
    g = pd.DataFrame({"query": d["query"], "hit": hit, "top": top, "rank": rank,
                      "prec": top * (top.groupby(d["query"]).cumsum() / rank)})
    per = g.groupby("query").agg(R=("hit", "sum"), top=("top", "sum"), prec=("prec", "sum"))
    first = g[g["hit"] > 0].groupby("query")["rank"].min()
    rel = per[per["R"] > 0]
    return [float(np.mean(nd)), float((per["top"] / K).mean()), float((rel["top"] / rel["R"]).mean()),
            float((rel["top"] > 0).mean()), float((1 / first).mean()),
            float((rel["prec"] / np.minimum(rel["R"], K)).mean())]


out = metrics(df)
for _, d in df.groupby("market"):
    metrics(d)
print(out)
