#!/usr/bin/env bash
# The README's pictures of the HTML report: the demo gate's documents, one report per kind
# (eval, compare, fairness, datatest), rendered by headless Chromium into examples/screenshots/.
# Usage: scripts/screenshots.sh   (after scripts/build.sh release; needs scripts/deps.sh test)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/src/tools
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
examples/run_demo.sh "$bin" "$work/demo" >/dev/null 2>&1 || true
mkdir -p examples/screenshots
shoot() {  # shoot NAME HEIGHT DOC...
  local name=$1 height=$2; shift 2
  "$bin/mlgate-report" "$@" --html "$work/$name" >/dev/null 2>&1 || true
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --hide-scrollbars \
    --user-data-dir="$work/profile-$name" --window-size=1100,"$height" \
    --screenshot="examples/screenshots/report-$name.png" "file://$work/$name/index.html" >/dev/null 2>&1
  echo "examples/screenshots/report-$name.png"
}
shoot eval 1900 "$work/demo/candidate.eval.json"
shoot compare 1900 "$work/demo/compare.json"
shoot fairness 1500 "$work/demo/fairness.json"
shoot datatest 2400 "$work/demo/datatest.json"
cp "$work/demo/report.md" examples/screenshots/comment.md
