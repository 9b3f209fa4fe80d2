#!/usr/bin/env bash
# Installs what is missing, builds mlgate and runs every test: unit, CLI, parity with the
# reference libraries, then each fuzzer briefly on its committed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh release
ctest --preset release
scripts/fuzz.sh smoke
