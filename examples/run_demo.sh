#!/usr/bin/env bash
# The demo gate on the bundled churn example: metrics of the candidate model, the same model
# run as a command on the holdout features, and the comparison with the production baseline. Usage: run_demo.sh BIN_DIR [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:?usage: run_demo.sh BIN_DIR [OUT_DIR]}" && pwd)
out=${2:-$here/out}
mkdir -p "$out"
cd "$here"
status=0
step() {  # step NAME COMMAND...: runs one gate step, remembering the worst exit code
  local name=$1; shift
  echo "== $name"
  set +e; "$@"; local rc=$?; set -e
  if [ $rc -gt $status ]; then status=$rc; fi
  echo "   -> exit $rc"
}
step "mlgate-eval: candidate predictions against the policy's absolute bounds" \
  "$bin/mlgate-eval" --data data/candidate.csv --policy policy.yaml --slice-col plan -o "$out/candidate.eval.json"
step "mlgate-eval: the candidate model run as a command on the holdout features" \
  "$bin/mlgate-eval" --features data/holdout.csv --model-cmd "/usr/bin/python3 model/churn_model.py" \
  --label-col churned --policy policy.yaml -o "$out/model-cmd.eval.json"
step "mlgate-compare: candidate vs the production baseline, paired statistics on the same customers" \
  "$bin/mlgate-compare" --candidate data/candidate.csv --baseline data/baseline.csv --policy policy.yaml \
  -o "$out/compare.json"
step "mlgate-fairness: the candidate's disparities across sex (policy's fairness section)" \
  "$bin/mlgate-fairness" --data data/candidate.csv --baseline data/baseline.csv --policy policy.yaml \
  -o "$out/fairness.json"
step "mlgate-datatest: this month's features against the training reference (expectations and drift)" \
  "$bin/mlgate-datatest" --data data/current.csv --reference data/reference.csv --suite suite.yaml \
  -o "$out/datatest.json"
step "mlgate-report: one verdict, as Markdown (PR comment), HTML and JUnit" \
  "$bin/mlgate-report" "$out/candidate.eval.json" "$out/compare.json" "$out/fairness.json" "$out/datatest.json" \
  --markdown "$out/report.md" --html "$out/html" --junit "$out/junit.xml"
echo
echo "Outputs in $out:"
ls -1 "$out" | sed 's/^/  /'
echo "Open $out/html/index.html in a browser; $out/report.md is what the PR comment shows."
echo "Gate status: $([ $status = 0 ] && echo pass || { [ $status = 1 ] && echo fail || echo error; })"
exit $status
