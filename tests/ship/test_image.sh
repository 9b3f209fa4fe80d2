#!/usr/bin/env bash
# The container image, built from the Dockerfile and run without a Docker engine: buildah
# (--isolation chroot, --storage-driver vfs) builds it on a base made with debootstrap (Debian
# 12, passed as BUILDER and BASE), then the demo gate runs inside it as its non-root user and
# must give the verdicts a run of the build tree gives. The base image and the build's layers
# stay in buildah's storage between runs. Runs as root (sudo otherwise).
# Usage: test_image.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: test_image.sh BUILD_DIR}" && pwd)
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
bh() { $sudo buildah --storage-driver vfs "$@"; }
fail() { echo "test_image: $*" >&2; exit 1; }
work=$(mktemp -d)
ctr=""
cleanup() { [ -z "$ctr" ] || bh rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
version=$(sed -n 's/^project(mlgate VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")

base=localhost/mlgate-test-base:bookworm
if ! bh inspect --type image "$base" >/dev/null 2>&1; then
  tar=$("$src/scripts/rootfs.sh" bookworm)
  c=$(bh from scratch)
  bh add "$c" "$tar" / >/dev/null
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
  bh commit --quiet "$c" "$base" >/dev/null
  bh rm "$c" >/dev/null
fi

bh bud --isolation chroot --layers --quiet --build-arg BUILDER="$base" --build-arg BASE="$base" \
  --build-arg VERSION="$version" -t localhost/mlgate:test "$src" >"$work/bud.log" 2>&1 ||
  { tail -40 "$work/bud.log" >&2; fail "buildah bud failed"; }

# The image's configuration: non-root, /workspace, OCI labels.
cfg=$(bh inspect --type image --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.WorkingDir}}' localhost/mlgate:test)
[ "$cfg" = "mlgate /workspace" ] || fail "user and workdir are '$cfg'"
labels=$(bh inspect --type image --format '{{range $k, $v := .OCIv1.Config.Labels}}{{$k}}={{$v}};{{end}}' localhost/mlgate:test)
for l in "org.opencontainers.image.licenses=Apache-2.0;" "org.opencontainers.image.version=$version;" \
         "org.opencontainers.image.source=https://"; do
  [[ "$labels" == *"$l"* ]] || fail "label $l missing in $labels"
done

# Expected verdicts, from the build tree.
"$src/examples/run_demo.sh" "$build/src/tools" "$work/expected" >/dev/null 2>&1 || true
verdicts='import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith(".json"):
        j = json.load(open(os.path.join(d, f)))
        print(f, j["tool"], j["status"], len(j["checks"]), sorted(c["status"] for c in j["checks"]))'
/usr/bin/python3 -c "$verdicts" "$work/expected" >"$work/expected.txt"

ctr=$(bh from localhost/mlgate:test)
bh run --isolation chroot "$ctr" -- sh -c 'test "$(id -un)" = mlgate && test "$(pwd)" = /workspace && mlgate eval --version' \
  >"$work/version.txt" || fail "the tools are not on PATH for the mlgate user in /workspace"
grep -q "^mlgate-eval $version" "$work/version.txt" || fail "version: $(cat "$work/version.txt")"
bh run --isolation chroot "$ctr" -- bash -c 'cp -r /usr/local/share/doc/mlgate/examples /tmp/demo &&
  bash /tmp/demo/run_demo.sh /usr/local/bin /tmp/out' >"$work/demo.log" 2>&1 || true
grep -q "Gate status: pass" "$work/demo.log" || { tail -30 "$work/demo.log" >&2; fail "the demo did not pass in the image"; }
bh run --isolation chroot "$ctr" -- python3 -c "$verdicts" /tmp/out >"$work/image.txt"
diff -u "$work/expected.txt" "$work/image.txt" >&2 || fail "the image's verdicts differ from the build tree's"
echo "test_image: ok (localhost/mlgate:test)"
