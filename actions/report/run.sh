#!/usr/bin/env bash
# Runs mlgate-report from the action's inputs (environment variables, never interpolated).
source "$(dirname "$0")/../lib/common.sh"
mlgate_ensure
args=()
mlgate_lines_to_args args "${INPUT_RESULTS:-}"
if [ -n "${GITHUB_OUTPUT:-}" ]; then args+=(--github); fi
mlgate_opt args --markdown "${INPUT_MARKDOWN:-}"
mlgate_opt args --html "${INPUT_HTML:-}"
mlgate_opt args --junit "${INPUT_JUNIT:-}"
mlgate_lines_to_args args "${INPUT_ARGS:-}"
set +e
mlgate-report "${args[@]}"
rc=$?
set -e
mlgate_output exit-code "$rc"
exit "$rc"
