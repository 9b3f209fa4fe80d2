#!/usr/bin/env bash
# Runs mlgate-eval from the action's inputs (environment variables, never interpolated).
source "$(dirname "$0")/../lib/common.sh"
mlgate_ensure
args=()
mlgate_opt args --data "${INPUT_DATA:-}"
mlgate_opt args --features "${INPUT_FEATURES:-}"
mlgate_opt args --model-url "${INPUT_MODEL_URL:-}"
mlgate_opt args --model-protocol "${INPUT_MODEL_PROTOCOL:-}"
mlgate_opt args --model-name "${INPUT_MODEL_NAME:-}"
mlgate_opt args --predictions-out "${INPUT_PREDICTIONS_OUT:-}"
mlgate_opt args --policy "${INPUT_POLICY:-}"
mlgate_opt args -o "${INPUT_OUTPUT:-}"
mlgate_lines_to_args args "${INPUT_ARGS:-}"
set +e
mlgate-eval "${args[@]}"
rc=$?
set -e
mlgate_output exit-code "$rc"
exit "$rc"
