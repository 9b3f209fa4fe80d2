#!/usr/bin/env bash
# Builds what a release ships, into dist/: the Debian packages (mlgate and mlgate-dev, with
# Depends computed by dpkg-shlibdeps) and the portable tarball
# mlgate-VERSION-linux-ARCH.tar.gz (the executables with every library they need but glibc's in
# lib/, found through a $ORIGIN RUNPATH; its minimum glibc stated in share/doc/mlgate/PORTABLE),
# with SHA256SUMS. Usage: scripts/package.sh [BUILD_DIR]   (default build/release, built first)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
[ "$build" = build/release ] && scripts/build.sh release >/dev/null
for tool in cpack patchelf dpkg-shlibdeps objdump; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing: run scripts/deps.sh test" >&2; exit 2; }
done
version=$(sed -n 's/^project(mlgate VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
arch=$(uname -m)
dist=$PWD/dist
rm -rf "$dist" && mkdir -p "$dist"

# Debian packages.
(cd "$build" && cpack -G DEB -B "$dist/deb" >/dev/null)
mv "$dist"/deb/*.deb "$dist"/ && rm -rf "$dist/deb"

# The portable tarball.
name=mlgate-$version-linux-$arch
root=$dist/$name
cmake --install "$build" --prefix "$root" --component tools >/dev/null
mkdir -p "$root/lib"
glibc_libs='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so|libutil\.so|libanl\.so|libnss_)'
copy_deps() {  # copies every non-glibc library a file needs (transitively) into lib/
  ldd "$1" | awk '/=> \// { print $1, $3 }' | while read -r soname path; do
    if [[ "$soname" =~ $glibc_libs ]] || [ -e "$root/lib/$soname" ]; then continue; fi
    cp -L "$path" "$root/lib/$soname"
    chmod 644 "$root/lib/$soname"
  done
}
for exe in "$root"/bin/mlgate-*; do copy_deps "$exe"; done
for exe in "$root"/bin/mlgate-*; do patchelf --set-rpath '$ORIGIN/../lib' --force-rpath "$exe"; done
for lib in "$root"/lib/*.so*; do patchelf --set-rpath '$ORIGIN' --force-rpath "$lib"; done
# The newest glibc symbol version anything in the tarball asks for.
glibc=$(objdump -T "$root"/bin/* "$root"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sort -Vu | tail -1 | sed 's/GLIBC_//')
cat >"$root/share/doc/mlgate/PORTABLE" <<TXT
mlgate $version for Linux $arch, portable build.

Requires: glibc $glibc or newer (and nothing else: every other library is in lib/).
Use: put bin/ on PATH, e.g.  export PATH="\$PWD/$name/bin:\$PATH"
Man pages: share/man (MANPATH); bash completions: share/bash-completion/completions.
TXT
tar -C "$dist" -czf "$dist/$name.tar.gz" "$name"
rm -rf "$root"
(cd "$dist" && sha256sum ./*.deb ./*.tar.gz | sed 's| \./| |' >SHA256SUMS)
echo "package: built in dist/ (glibc >= $glibc for the tarball):"
sed 's/^/  /' "$dist/SHA256SUMS"
