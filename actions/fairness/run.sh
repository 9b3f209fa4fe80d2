#!/usr/bin/env bash
# Runs mlgate-fairness from the action's inputs (environment variables, never interpolated).
source "$(dirname "$0")/../lib/common.sh"
mlgate_ensure
args=()
mlgate_opt args --data "${INPUT_DATA:-}"
mlgate_opt args --policy "${INPUT_POLICY:-}"
mlgate_opt args --baseline "${INPUT_BASELINE:-}"
mlgate_opt args -o "${INPUT_OUTPUT:-}"
mlgate_lines_to_args args "${INPUT_ARGS:-}"
set +e
mlgate-fairness "${args[@]}"
rc=$?
set -e
mlgate_output exit-code "$rc"
exit "$rc"
