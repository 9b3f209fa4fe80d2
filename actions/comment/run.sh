#!/usr/bin/env bash
# Runs mlgate-comment from the action's inputs (environment variables, never interpolated).
source "$(dirname "$0")/../lib/common.sh"
mlgate_ensure
args=()
mlgate_opt args --body "${INPUT_BODY:-}"
mlgate_lines_to_args args "${INPUT_ARGS:-}"
set +e
mlgate-comment "${args[@]}"
rc=$?
set -e
mlgate_output exit-code "$rc"
exit "$rc"
