#!/usr/bin/env bash
# A minimal Debian root file system for the shipping tests (clean installs, container base
# images), made once with debootstrap from Debian's mirror and cached as a tarball:
#   scripts/rootfs.sh SUITE  ->  prints the tarball's path (bookworm, trixie, ...)
# The cache is ${MLGATE_CACHE:-~/.cache/mlgate}; delete it to start over. python3 is included:
# the demo's model is a Python script.
set -euo pipefail
suite=${1:?usage: rootfs.sh SUITE}
cache=${MLGATE_CACHE:-$HOME/.cache/mlgate}
mirror=${MLGATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
out=$cache/rootfs-$suite-minbase.tar
mkdir -p "$cache"
if [ ! -s "$out" ]; then
  command -v debootstrap >/dev/null || { echo "rootfs: debootstrap is missing: run scripts/deps.sh test" >&2; exit 2; }
  tmp=$(mktemp -d "$cache/.rootfs-$suite.XXXXXX")
  # debootstrap mounts /proc (and may bind /dev) in the target: unmount before removing, and
  # never cross into another file system while removing.
  cleanup() {
    grep -o " $tmp/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf --one-file-system "$tmp"
  }
  trap cleanup EXIT
  echo "rootfs: debootstrap $suite (once; cached in $out)" >&2
  debootstrap --variant=minbase --include=python3,ca-certificates "$suite" "$tmp/root" "$mirror" >"$tmp/log" 2>&1 ||
    { tail -20 "$tmp/log" >&2; exit 2; }
  rm -rf "$tmp"/root/var/cache/apt/archives/*.deb "$tmp"/root/var/lib/apt/lists/*_*
  grep -o " $tmp/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  tar -C "$tmp/root" --one-file-system -cf "$out.part" . && mv "$out.part" "$out"
fi
echo "$out"
