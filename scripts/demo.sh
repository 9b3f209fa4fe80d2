#!/usr/bin/env bash
# Installs what is missing, builds mlgate and runs the demo gate on the bundled churn example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh release
exec examples/run_demo.sh build/release/src/tools
