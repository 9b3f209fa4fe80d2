#!/usr/bin/env bash
# The whole gate in one step: compare (with the candidate's metrics), fairness, data tests, one
# report in every format, and the sticky PR comment. Exit code: the combined status.
source "$(dirname "$0")/../lib/common.sh"
mlgate_ensure
out=${INPUT_REPORT_DIR:-mlgate-report}
mkdir -p "$out"
docs=()
worst=0
step() {  # step DOC COMMAND...: runs a tool; a tool that fails to run still fails the gate
  local doc=$1; shift
  echo "::group::$1"
  set +e; "$@"; local rc=$?; set -e
  echo "::endgroup::"
  if [ -s "$doc" ]; then docs+=("$doc"); fi
  if [ $rc -ge 2 ] && [ ! -s "$doc" ]; then worst=2; fi
}

if [ -n "${INPUT_CANDIDATE:-}" ]; then
  args=(--candidate "$INPUT_CANDIDATE" --policy "${INPUT_POLICY:?the policy input is required}" -o "$out/compare.json")
  mlgate_opt args --baseline "${INPUT_BASELINE:-}"
  mlgate_lines_to_args args "${INPUT_COMPARE_ARGS:-}"
  step "$out/compare.json" mlgate-compare "${args[@]}"
fi
if [ -n "${INPUT_SENSITIVE_COLS:-}" ]; then
  args=(--data "${INPUT_CANDIDATE:?fairness needs the candidate input}" -o "$out/fairness.json")
  mlgate_opt args --policy "${INPUT_POLICY:-}"
  mlgate_opt args --baseline "${INPUT_BASELINE:-}"
  for col in ${INPUT_SENSITIVE_COLS//,/ }; do args+=(--sensitive-col "$col"); done
  step "$out/fairness.json" mlgate-fairness "${args[@]}"
fi
if [ -n "${INPUT_SUITE:-}" ]; then
  args=(--data "${INPUT_DATA:?the data input is required with a suite}" --suite "$INPUT_SUITE" -o "$out/datatest.json")
  mlgate_opt args --reference "${INPUT_REFERENCE:-}"
  step "$out/datatest.json" mlgate-datatest "${args[@]}"
fi
# Result documents of earlier steps (mlgate-eval of the model, say) join the report; one that is
# missing (its step errored before writing it) is an error of the gate.
while IFS= read -r doc || [ -n "$doc" ]; do
  doc="${doc%$'\r'}"
  doc="${doc#"${doc%%[![:space:]]*}"}"
  [ -n "$doc" ] || continue
  if [ -s "$doc" ]; then
    docs+=("$doc")
  else
    echo "mlgate gate: error: the document $doc was not written (did its step fail?)" >&2
    worst=2
  fi
done <<<"${INPUT_DOCUMENTS:+${INPUT_DOCUMENTS//,/$'\n'}}"
if [ ${#docs[@]} -eq 0 ]; then
  echo "mlgate gate: error: no result document was produced (give candidate and policy, or a suite)" >&2
  mlgate_output status error
  exit 2
fi
args=("${docs[@]}" --markdown "$out/report.md" --html "$out/html" --junit "$out/junit.xml")
mlgate_opt args --details-url "${INPUT_DETAILS_URL:-}"
if [ -n "${GITHUB_ACTIONS:-}${GITHUB_OUTPUT:-}" ]; then args+=(--github); fi
set +e; mlgate-report "${args[@]}"; rc=$?; set -e
if [ $worst -gt $rc ]; then rc=$worst; fi
mlgate_output report "$out/report.md"
mlgate_output exit-code "$rc"
if [ "${INPUT_COMMENT:-true}" = true ] && [ -n "${GITHUB_EVENT_PATH:-}" ] && grep -q '"pull_request"' "$GITHUB_EVENT_PATH" 2>/dev/null; then
  mlgate-comment --body "$out/report.md" --soft-fail || true  # a comment must never hide the verdict
fi
if [ "${INPUT_FAIL_ON:-fail}" = never ]; then exit 0; fi
exit "$rc"
