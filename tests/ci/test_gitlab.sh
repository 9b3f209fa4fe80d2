#!/usr/bin/env bash
# Runs the GitLab template end to end with gitlab-ci-local (shell executor) on the example data:
# the gate passes on the passing candidate, fails on the degraded one, and the warn-only variant
# lets the degraded one through as a warning. Report artifacts exist in every case.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MLGATE_BIN_DIR:-$root/build/release/src/tools}
bin=$(cd "$bin" && pwd)
gcl=$root/tools/ci-validate/node_modules/.bin/gitlab-ci-local
[ -x "$gcl" ] || { echo "gitlab-ci-local is missing: run scripts/deps.sh test" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

run_case() {  # run_case NAME CANDIDATE JOB EXPECT_RC [MORE_VARIABLES]
  local name=$1 candidate=$2 job=$3 want=$4 more=${5:-} dir=$work/$1
  mkdir -p "$dir/ci-templates/gitlab"
  cp -r "$root/examples" "$dir/"
  rm -rf "$dir/examples/out"
  # The jobs' scripts on gitlab-ci-local's shell executor with the build tree's executables: the
  # image they default to has no engine to run in here (tests/ship/test_image.sh runs it).
  grep -v '^  image: \$MLGATE_IMAGE$' "$root/ci-templates/gitlab/mlgate.gitlab-ci.yml" \
    >"$dir/ci-templates/gitlab/mlgate.gitlab-ci.yml"
  cat >"$dir/.gitlab-ci.yml" <<YML
include:
  - local: ci-templates/gitlab/mlgate.gitlab-ci.yml
stages: [test, deploy]
variables:
  MLGATE_BIN: $bin
  MLGATE_CANDIDATE: examples/data/$candidate
  MLGATE_BASELINE: examples/data/baseline.csv
  MLGATE_POLICY: examples/policy.yaml
  MLGATE_SENSITIVE_COLS: sex
  MLGATE_DATA: examples/data/current.csv
  MLGATE_REFERENCE: examples/data/reference.csv
  MLGATE_SUITE: examples/suite.yaml
$more
mlgate-gate-soft:
  extends: .mlgate-gate-warn-only
YML
  (cd "$dir" && git init -q -b main && git add . && git -c user.email=ci@example -c user.name=ci commit -qm "case $name")
  set +e
  (cd "$dir" && timeout 600 "$gcl" "$job" >"$dir.log" 2>&1)
  local rc=$?
  set -e
  local ok=1
  if [ "$rc" != "$want" ]; then echo "case $name: gitlab-ci-local exited $rc, expected $want"; ok=0; fi
  for f in junit.xml codequality.json metrics.txt report.md html/index.html; do
    if [ ! -s "$dir/.gitlab-ci-local/artifacts/$job/mlgate-report/$f" ]; then echo "case $name: artifact $f missing"; ok=0; fi
  done
  if [ "$name" = degraded ] && ! grep -qi "inferior" "$dir.log"; then echo "case $name: no inferior verdict in the log"; ok=0; fi
  if [ "$name" = warn_only ] && ! grep -Eq "WARN|allowed to fail|warning" "$dir.log"; then echo "case $name: not reported as a warning"; ok=0; fi
  if [ $ok = 1 ]; then echo "ok   $name"; passed=$((passed + 1)); else tail -20 "$dir.log"; failed=$((failed + 1)); fi
}

run_case passing candidate.csv mlgate-gate 0
# The served-model pattern: the candidate scored through a model server (the job's service in
# GitLab; here a real one on 127.0.0.1), then gated on those predictions.
/usr/bin/python3 "$root/tests/cli/model_server.py" --protocol tfserving --port-file "$work/port" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
run_case served candidate.csv mlgate-gate 0 "  MLGATE_FEATURES: examples/data/holdout.csv
  MLGATE_MODEL_URL: http://127.0.0.1:$(cat "$work/port")
  MLGATE_MODEL_PROTOCOL: tfserving
  MLGATE_MODEL_NAME: churn"
if [ -s "$work/served/.gitlab-ci-local/artifacts/mlgate-gate/mlgate-report/eval.json" ] &&
  grep -q '"latency_ms"' "$work/served/.gitlab-ci-local/artifacts/mlgate-gate/mlgate-report/eval.json"; then
  echo "ok   served: eval.json with latency"
else
  echo "case served: no eval document with latency"; failed=$((failed + 1))
fi
run_case degraded degraded.csv mlgate-gate 1
run_case warn_only degraded.csv mlgate-gate-soft 0
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
