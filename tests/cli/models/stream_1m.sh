#!/usr/bin/env bash
# Streams one million feature rows through a real model process and checks every row came back.
set -euo pipefail
eval_bin=$1; model=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp/features.csv" <<'PY'
import random, sys
random.seed(1)
with open(sys.argv[1], "w") as f:
    f.write("id,x1,x2,label,region\n")
    for i in range(1_000_000):
        x1 = random.gauss(0, 1)
        f.write(f"{i},{x1:.6f},{random.random():.4f},{int(x1 + random.gauss(0, 1) > 0)},{'eu' if i % 2 else 'us'}\n")
PY
"$eval_bin" --features "$tmp/features.csv" --model-cmd "/usr/bin/python3 $model" --slice-col region -o "$tmp/out.json"
/usr/bin/python3 - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["metrics"]["n"] == 1_000_000, d["metrics"]["n"]
assert d["metrics"]["overall"]["roc_auc"] > 0.7, d["metrics"]["overall"]
print("1000000 rows scored and evaluated")
PY
