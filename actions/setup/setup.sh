#!/usr/bin/env bash
# Installs mlgate's build dependencies, builds it (incrementally: the build folder is cached by
# the action) and puts the executables on PATH for the following steps.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/scripts/deps.sh" build >&2
cmake -S "$root" -B "$root/build/action" -G Ninja -DCMAKE_BUILD_TYPE="${MLGATE_BUILD_TYPE:-Release}" -DMLGATE_TESTS=OFF >&2
cmake --build "$root/build/action" -j "$(nproc)" >&2
bin="$root/build/action/src/tools"
if [ -n "${GITHUB_PATH:-}" ]; then echo "$bin" >>"$GITHUB_PATH"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "bin-dir=$bin" >>"$GITHUB_OUTPUT"; fi
echo "mlgate built in $bin" >&2
