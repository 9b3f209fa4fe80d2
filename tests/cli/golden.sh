#!/usr/bin/env bash
# Compares mlgate-eval's document on a fixed input with the committed one.
# UPDATE_GOLDEN=1 rewrites it (review the diff before committing).
set -euo pipefail
eval_bin=$1; data=$2; golden=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1795400000 GITHUB_SHA=0123456789abcdef0123456789abcdef01234567
cd "$data"
"$eval_bin" --data good.csv --slice-col region --policy slice_policy.yaml -o "$tmp/eval.json" 2>/dev/null || test $? = 1
if [ "${UPDATE_GOLDEN:-}" = 1 ]; then cp "$tmp/eval.json" "$golden/eval_good.json"; fi
diff -u "$golden/eval_good.json" "$tmp/eval.json"
echo "golden eval document matches"
