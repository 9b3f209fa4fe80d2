#!/usr/bin/env bash
# Puts mlgate on PATH for the following steps. By default it downloads the release tarball of
# the action's own version (its CMakeLists.txt's), checks it against the release's SHA256SUMS,
# checks the runner's glibc against what the tarball states it needs, and unpacks it: seconds.
# It builds from source (dependencies from the distribution's packages, the build folder cached
# by the action) when asked (MLGATE_FROM_SOURCE=true) or when no usable release matches; a
# download that does not match its checksum is an error, never a fallback.
# Environment: MLGATE_FROM_SOURCE, MLGATE_BUILD_TYPE, MLGATE_RELEASE_URL (the folder holding the
# tarball and SHA256SUMS; default: this repository's GitHub release vVERSION).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^project(mlgate VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
arch=$(uname -m)
name=mlgate-$version-linux-$arch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
publish() {  # publish BIN_DIR
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$1" >>"$GITHUB_PATH"; fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "bin-dir=$1" >>"$GITHUB_OUTPUT"
    echo "source=$2" >>"$GITHUB_OUTPUT"
  fi
  echo "mlgate $version ready in $1 ($2)" >&2
}

from_release() {  # returns 1 (no error) when no usable release exists, exits 2 on a bad one
  local url=${MLGATE_RELEASE_URL:-https://github.com/${MLGATE_REPOSITORY:-mlgate/mlgate}/releases/download/v$version}
  local proto="=https"
  case "$url" in
    https://*) ;;
    http://127.0.0.1[:/]*|http://localhost[:/]*) proto="=http" ;;  # a local mirror, for tests
    *) echo "setup: the release URL must be https: $url" >&2; exit 2 ;;
  esac
  local dest=${RUNNER_TOOL_CACHE:-$root/build}/mlgate-release
  if ! curl -fsSL --proto "$proto" --retry 3 -o "$tmp/SHA256SUMS" "$url/SHA256SUMS" ||
     ! curl -fsSL --proto "$proto" --retry 3 -o "$tmp/$name.tar.gz" "$url/$name.tar.gz"; then
    echo "setup: no release tarball $name.tar.gz at $url" >&2
    return 1
  fi
  local want got
  want=$(awk -v f="$name.tar.gz" '$2 == f || $2 == "*"f { print $1 }' "$tmp/SHA256SUMS")
  got=$(sha256sum "$tmp/$name.tar.gz" | cut -d' ' -f1)
  if [ -z "$want" ] || [ "$want" != "$got" ]; then
    echo "setup: $name.tar.gz does not match the release's SHA256SUMS (want ${want:-nothing}, got $got)" >&2
    exit 2
  fi
  rm -rf "$dest/$name" && mkdir -p "$dest"
  tar -C "$dest" -xzf "$tmp/$name.tar.gz"
  local need have
  need=$(sed -n 's/^Requires: glibc \([0-9.]*\).*/\1/p' "$dest/$name/share/doc/mlgate/PORTABLE")
  have=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
  if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
    echo "setup: the release needs glibc $need, this runner has $have" >&2
    return 1
  fi
  "$dest/$name/bin/mlgate-eval" --version >/dev/null || { echo "setup: the release does not run here" >&2; return 1; }
  publish "$dest/$name/bin" release
}

if [ "${MLGATE_FROM_SOURCE:-false}" != true ] && from_release; then
  exit 0
fi
echo "setup: building mlgate $version from source" >&2
[ -n "${MLGATE_SKIP_DEPS:-}" ] || "$root/scripts/deps.sh" build >&2
cmake -S "$root" -B "$root/build/action" -G Ninja -DCMAKE_BUILD_TYPE="${MLGATE_BUILD_TYPE:-Release}" -DMLGATE_TESTS=OFF >&2
cmake --build "$root/build/action" -j "$(nproc)" >&2
publish "$root/build/action/src/tools" source
