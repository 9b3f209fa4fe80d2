#!/usr/bin/env bash
# Configures and builds a CMake preset (default: release) on every core. Under CI (CI=true)
# warnings are errors (MLGATE_WERROR).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
werror=OFF
[ "${CI:-}" = true ] && werror=ON
cmake --preset "$preset" -DMLGATE_WERROR="$werror" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
