#!/usr/bin/env bash
# Shared by the action scripts. Inputs arrive as environment variables (never interpolated into
# a script), and become argv elements directly: nothing here is evaluated by a shell.
set -euo pipefail

MLGATE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Puts mlgate on PATH, building it first when this runner has not (setup not run yet).
mlgate_ensure() {
  if ! command -v mlgate-eval >/dev/null 2>&1; then
    if [ -x "$MLGATE_ROOT/build/action/src/tools/mlgate-eval" ]; then
      PATH="$MLGATE_ROOT/build/action/src/tools:$PATH"
    else
      local paths
      paths=$(mktemp)
      GITHUB_PATH=$paths GITHUB_OUTPUT=/dev/null "$MLGATE_ROOT/actions/setup/setup.sh" >&2
      PATH="$(tail -1 "$paths"):$PATH"
      rm -f "$paths"
    fi
    export PATH
  fi
}

# Appends to the array named $1 one argument per non-empty line of $2 (the "args" input).
mlgate_lines_to_args() {
  local -n into=$1
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    if [ -n "$line" ]; then into+=("$line"); fi
  done <<<"${2:-}"
  return 0
}

# Appends "FLAG VALUE" to the array named $1 when VALUE is not empty.
mlgate_opt() {
  local -n into=$1
  if [ -n "${3:-}" ]; then into+=("$2" "$3"); fi
  return 0
}

# Writes name=value to $GITHUB_OUTPUT when running under GitHub Actions.
mlgate_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; fi
}
