#!/usr/bin/env python3
"""Generates the demo's data: a churn model's holdout predictions (candidate and production
baseline), reference and current feature tables, deterministic for a seed. Standard library
only, so it runs anywhere: /usr/bin/python3 examples/generate.py"""
import csv
import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "model"))
from churn_model import churn_probability  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = ["customer_id", "tenure_months", "monthly_charges", "support_calls", "contract", "plan",
            "region", "sex", "age", "email"]


def customer(rng, i, drift=0.0):
    tenure = max(0, min(72, int(rng.expovariate(1 / (24 - 6 * drift)))))
    plan = rng.choices(["basic", "plus", "premium"], [0.5, 0.3, 0.2])[0]
    charges = round(rng.gauss({"basic": 45, "plus": 65, "premium": 90}[plan] + 8 * drift, 8), 2)
    return {
        "customer_id": f"C{i:06d}",
        "tenure_months": tenure,
        "monthly_charges": charges,
        "support_calls": min(9, int(rng.expovariate(1 / (1.2 + drift)))),
        "contract": rng.choices(["monthly", "annual"], [0.6 + 0.1 * drift, 0.4 - 0.1 * drift])[0],
        "plan": plan,
        "region": rng.choices(["eu", "us", "apac"], [0.45, 0.4, 0.15])[0],
        "sex": rng.choice(["F", "M"]),
        "age": max(18, min(90, int(rng.gauss(44, 14)))),
        "email": f"user{i}@example.com",
    }


def churned(rng, row):
    # The true process: the candidate's weights are closer to it than the baseline's.
    z = (-0.25 - 0.05 * row["tenure_months"] + 0.022 * (row["monthly_charges"] - 60)
         + 0.45 * row["support_calls"] - 1.2 * (row["contract"] == "annual")
         - 0.4 * (row["plan"] == "premium") + rng.gauss(0, 0.6))
    return int(rng.random() < 1 / (1 + math.exp(-z)))


def write(path, rows, fields):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main():
    rng = random.Random(20261123)
    data = os.path.join(HERE, "data")
    os.makedirs(data, exist_ok=True)
    # Reference: the training-time feature table; current: this month's, slightly drifted.
    reference = [customer(rng, i) for i in range(5000)]
    current = [customer(rng, 100000 + i, drift=0.6) for i in range(4000)]
    write(os.path.join(data, "reference.csv"), reference, FEATURES)
    write(os.path.join(data, "current.csv"), current, FEATURES)
    # Holdout with labels: features for --model-cmd, and both models' predictions.
    holdout = [customer(rng, 200000 + i) for i in range(4000)]
    for row in holdout:
        row["churned"] = churned(rng, row)
    write(os.path.join(data, "holdout.csv"), holdout, FEATURES + ["churned"])
    for version in ("candidate", "baseline", "degraded"):
        rows = [{"customer_id": r["customer_id"], "churned": r["churned"],
                 "score": f"{churn_probability({k: str(v) for k, v in r.items()}, version):.6f}",
                 "region": r["region"], "sex": r["sex"], "plan": r["plan"]} for r in holdout]
        write(os.path.join(data, f"{version}.csv"), rows, ["customer_id", "churned", "score", "region", "sex", "plan"])
    print(f"wrote {data}")


if __name__ == "__main__":
    main()
