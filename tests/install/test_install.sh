#!/usr/bin/env bash
# cmake --install into a fresh prefix: the executables, man pages, completions and documents are
# where a user looks for them, and a project outside the tree builds against the installed
# package (find_package(mlgate) -> mlgate::core) and runs.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
fail() { echo "test_install: $*" >&2; exit 1; }
for t in eval compare fairness datatest report comment promote; do
  [ -x "$prefix/bin/mlgate-$t" ] || fail "bin/mlgate-$t missing"
  [ -s "$prefix/share/man/man1/mlgate-$t.1" ] || fail "man page of mlgate-$t missing"
  grep -q '^\.SH OPTIONS' "$prefix/share/man/man1/mlgate-$t.1" || fail "man page of mlgate-$t has no options"
  c=$prefix/share/bash-completion/completions/mlgate-$t
  [ -s "$c" ] || fail "completion of mlgate-$t missing"
  # The completion offers the tool's own flags.
  out=$(bash -c "source '$c'; COMP_WORDS=(mlgate-$t --versi); COMP_CWORD=1; _mlgate_$t; echo \"\${COMPREPLY[*]}\"")
  [ "$out" = "--version" ] || fail "completion of mlgate-$t offers '$out' for --versi"
done
"$prefix/bin/mlgate-eval" --version | grep -q '^mlgate-eval ' || fail "--version"
# The one command: installed, with its man page and a completion of its commands that hands
# over to each command's own.
[ -x "$prefix/bin/mlgate" ] || fail "bin/mlgate missing"
[ -s "$prefix/share/man/man1/mlgate.1" ] || fail "man page of mlgate missing"
"$prefix/bin/mlgate" --version | grep -q '^  mlgate-promote   ' || fail "mlgate --version does not list the tools"
(cd / && env PATH=/nonexistent "$prefix/bin/mlgate" eval --version) | grep -q '^mlgate-eval ' \
  || fail "mlgate eval does not run the mlgate-eval beside it"
c=$prefix/share/bash-completion/completions
out=$(bash -c "source '$c/mlgate'; COMP_WORDS=(mlgate co); COMP_CWORD=1; _mlgate; echo \"\${COMPREPLY[*]}\"")
[ "$out" = "compare comment" ] || fail "completion of mlgate offers '$out' for co"
out=$(bash -c "source '$c/mlgate'; source '$c/mlgate-eval'; COMP_WORDS=(mlgate eval --slice); COMP_CWORD=2; _mlgate; echo \"\${COMPREPLY[*]}\"")
[ "$out" = "--slice-col" ] || fail "completion of mlgate eval offers '$out' for --slice"
for f in README.md LICENSE NOTICE SECURITY.md examples/policy.yaml; do
  [ -f "$prefix/share/doc/mlgate/$f" ] || fail "share/doc/mlgate/$f missing"
done
[ -f "$prefix/include/mlgate/data/table.hpp" ] || fail "headers missing"
[ -f "$prefix/lib/cmake/mlgate/mlgateConfig.cmake" ] || [ -f "$prefix"/lib/*/cmake/mlgate/mlgateConfig.cmake ] || fail "CMake package missing"

cmake -S "$src/tests/install/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
printf 'label,score\n1,0.9\n0,0.3\n1,0.8\n0,0.6\n1,0.4\n' >"$work/p.csv"
got=$("$work/consumer/consumer" "$work/p.csv")
[ "$got" = "0.833333" ] || fail "the consumer printed $got, not 0.833333 (scikit-learn)"
echo "test_install: ok ($prefix)"
