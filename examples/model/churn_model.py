#!/usr/bin/env python3
"""A churn model in plain Python: reads customer feature rows (CSV) on stdin and prints the
probability of churn, one per line. `--version baseline` scores with last quarter's weights.
This is the kind of script `mlgate-eval --model-cmd` runs; the demo's prediction files come
from it too (examples/generate.py)."""
import argparse
import csv
import math
import sys

WEIGHTS = {
    # intercept, tenure, charges, support calls, annual contract, premium plan
    "candidate": (-0.2, -0.045, 0.021, 0.42, -1.1, -0.35),
    "baseline": (-0.3, -0.035, 0.015, 0.30, -0.8, -0.10),
    # A retrain gone wrong (the support-call signal lost): the example of a gate that fails.
    "degraded": (0.1, -0.03, 0.006, 0.05, -0.4, 0.0),
}


def churn_probability(row, version="candidate"):
    b0, bt, bc, bs, ba, bp = WEIGHTS[version]
    z = (b0 + bt * float(row["tenure_months"]) + bc * (float(row["monthly_charges"]) - 60)
         + bs * float(row["support_calls"]) + ba * (row["contract"] == "annual")
         + bp * (row["plan"] == "premium"))
    return 1 / (1 + math.exp(-z))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", default="candidate", choices=sorted(WEIGHTS))
    args = ap.parse_args()
    out = sys.stdout
    for row in csv.DictReader(sys.stdin):
        out.write(f"{churn_probability(row, args.version):.6f}\n")


if __name__ == "__main__":
    main()
