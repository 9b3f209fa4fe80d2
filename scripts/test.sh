#!/usr/bin/env bash
# Installs what is missing, builds mlgate and runs every test: unit, CLI, parity with the
# reference libraries, CI integrations, the install tree; what a release ships (the .deb in a
# clean Debian 12 root, the portable tarball in a clean Debian 13 root, the container image built
# and run with buildah); clang-tidy on the core; each fuzzer briefly on its committed corpus;
# then the whole suite again under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh release
ctest --preset release -j "$(nproc)"
tests/ship/test_packages.sh build/release
tests/ship/test_image.sh build/release
scripts/tidy.sh
scripts/fuzz.sh smoke
scripts/build.sh asan
ctest --preset asan -j "$(nproc)"
