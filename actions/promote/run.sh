#!/usr/bin/env bash
# Runs mlgate-promote from the action's inputs (environment variables, never interpolated).
source "$(dirname "$0")/../lib/common.sh"
mlgate_ensure
args=()
mlgate_opt args --model "${INPUT_MODEL:-}"
mlgate_opt args --version "${INPUT_VERSION:-}"
mlgate_opt args --stage "${INPUT_STAGE:-}"
mlgate_opt args --registry "${INPUT_REGISTRY:-}"
evidence=()
mlgate_lines_to_args evidence "${INPUT_EVIDENCE:-}"
if [ ${#evidence[@]} -gt 0 ]; then args+=(--evidence "${evidence[@]}"); fi
mlgate_lines_to_args args "${INPUT_ARGS:-}"
set +e
mlgate-promote "${args[@]}"
rc=$?
set -e
mlgate_output exit-code "$rc"
exit "$rc"
