#!/usr/bin/env bash
# What a release ships, installed as a user would on machines that never saw mlgate's source:
#  - the .deb, with `apt-get install ./mlgate_*.deb` in a clean Debian 12 (bookworm) root, its
#    Depends resolved from Debian's mirror; then the demo gate from /usr/share/doc/mlgate;
#  - the portable tarball, unpacked into a clean Debian 13 (trixie) root, where the libraries
#    have other sonames (RE2, yaml-cpp, simdjson) and no -dev package is installed; the demo
#    gate again, with the tarball's bin/.
# Each demo must give the verdicts a run of the build tree gives. Runs as root (sudo otherwise).
# Usage: test_packages.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: test_packages.sh BUILD_DIR}" && pwd)
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
work=$(mktemp -d)
cleanup() { $sudo rm -rf --one-file-system "$work"; }
trap cleanup EXIT
fail() { echo "test_packages: $*" >&2; exit 1; }

"$src/scripts/package.sh" "$build" >"$work/package.log" || { cat "$work/package.log" >&2; fail "package.sh failed"; }
version=$(sed -n 's/^project(mlgate VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb=$(ls "$src"/dist/mlgate_"$version"_*.deb)
tarball=$(ls "$src"/dist/mlgate-"$version"-linux-*.tar.gz)
(cd "$src/dist" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS does not match dist/"

# The verdicts of the demo from the build tree, to compare with.
"$src/examples/run_demo.sh" "$build/src/tools" "$work/expected" >"$work/expected.log" 2>&1 || true
verdicts() {  # the tool, status and check count of each document in a demo's output folder
  /usr/bin/python3 - "$1" <<'PY'
import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith(".json"):
        j = json.load(open(os.path.join(d, f)))
        print(f, j["tool"], j["status"], len(j["checks"]), sorted(c["status"] for c in j["checks"]))
PY
}
verdicts "$work/expected" >"$work/expected.txt"
[ -s "$work/expected.txt" ] || fail "the build tree's demo wrote no documents"

# in_root ROOT COMMAND...: runs a command in a chroot with /proc and /dev, in a private mount
# namespace (nothing stays mounted after it).
in_root() {
  local root=$1; shift
  $sudo cp /etc/resolv.conf "$root/etc/resolv.conf"
  $sudo unshare --mount --fork sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && exec chroot "$root" "$@"' \
    sh "$root" "$@"
}
fresh_root() {  # fresh_root SUITE DIR: a clean root file system of that Debian suite
  local tar
  tar=$("$src/scripts/rootfs.sh" "$1")
  $sudo mkdir -p "$2"
  $sudo tar -C "$2" -xf "$tar"
}
check_demo() {  # check_demo NAME OUT_DIR LOG: the demo passed and its verdicts match the build tree's
  grep -q "Gate status: pass" "$3" || { tail -30 "$3" >&2; fail "$1: the demo did not pass"; }
  verdicts "$2" >"$work/$1.txt"
  diff -u "$work/expected.txt" "$work/$1.txt" >&2 || fail "$1: the demo's verdicts differ from the build tree's"
  echo "test_packages: $1: ok"
}

# The .deb on Debian 12.
bw=$work/bookworm
fresh_root bookworm "$bw"
$sudo cp "$deb" "$bw/tmp/"
in_root "$bw" sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
  apt-get install -y -qq --no-install-recommends /tmp/'"$(basename "$deb")" >"$work/apt.log" 2>&1 ||
  { tail -30 "$work/apt.log" >&2; fail "apt-get install of the .deb failed"; }
in_root "$bw" sh -c 'test -s /usr/share/man/man1/mlgate-eval.1.gz || test -s /usr/share/man/man1/mlgate-eval.1' ||
  fail "the .deb has no man page"
# The one command finds every tool it ships with.
in_root "$bw" sh -c 'mlgate --version' | grep -q "^  mlgate-promote   $version" ||
  fail "the .deb's mlgate --version does not list its tools"
in_root "$bw" sh -c 'cp -r /usr/share/doc/mlgate/examples /tmp/demo && bash /tmp/demo/run_demo.sh /usr/bin /tmp/out' \
  >"$work/deb-demo.log" 2>&1 || true
$sudo cp -r "$bw/tmp/out" "$work/deb-out"
check_demo deb "$work/deb-out" "$work/deb-demo.log"

# The tarball on Debian 13, nothing installed but what debootstrap brings and python3.
tx=$work/trixie
fresh_root trixie "$tx"
$sudo tar -C "$tx/opt" -xzf "$tarball"
name=$(basename "$tarball" .tar.gz)
in_root "$tx" sh -c 'ls /usr/include 2>/dev/null | grep -q yaml' && fail "the trixie root has -dev headers"
in_root "$tx" sh -c "cp -r /opt/$name/share/doc/mlgate/examples /tmp/demo && bash /tmp/demo/run_demo.sh /opt/$name/bin /tmp/out" \
  >"$work/tar-demo.log" 2>&1 || true
$sudo cp -r "$tx/tmp/out" "$work/tar-out"
check_demo tarball "$work/tar-out" "$work/tar-demo.log"
grep -q "Requires: glibc" "$tx/opt/$name/share/doc/mlgate/PORTABLE" || fail "PORTABLE states no glibc"
in_root "$tx" sh -c "/opt/$name/bin/mlgate eval --version" | grep -q "^mlgate-eval $version" ||
  fail "the tarball's mlgate does not run the mlgate-eval beside it"
