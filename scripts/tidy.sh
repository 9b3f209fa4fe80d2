#!/usr/bin/env bash
# clang-tidy on the core with the project's .clang-tidy, over the release build's compile
# database; any warning fails. Two files at a time per core.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/release/compile_commands.json ] || scripts/build.sh release >/dev/null
tidy=$(command -v clang-tidy || command -v clang-tidy-14)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
find src/core -name '*.cpp' -print0 |
  xargs -0 -n 2 -P "$(nproc)" "$tidy" -p build/release --quiet --warnings-as-errors='*' \
    --extra-arg=-Wno-unknown-warning-option >"$out" 2>&1 || {
  grep -E "(warning|error):" "$out" | sort -u | head -50
  echo "tidy: clang-tidy found problems in the core (see above)"
  exit 1
}
echo "tidy: the core is clean ($(find src/core -name '*.cpp' | wc -l) files)"
