#!/usr/bin/env bash
# expect.sh EXIT STDERR_REGEX [--stdout REGEX] -- COMMAND...
# Runs COMMAND; passes when it exits EXIT and its stderr matches STDERR_REGEX (grep -E; ANY
# skips the check: CMake drops empty arguments).
set -u
want_exit=$1; want_err=$2; shift 2
want_out=""
if [ "${1:-}" = "--stdout" ]; then want_out=$2; shift 2; fi
[ "${1:-}" = "--" ] && shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$@" >"$tmp/out" 2>"$tmp/err"
got=$?
ok=1
if [ "$got" != "$want_exit" ]; then echo "exit code $got, expected $want_exit"; ok=0; fi
if [ "$want_err" != ANY ] && ! grep -Eq -- "$want_err" "$tmp/err"; then echo "stderr does not match: $want_err"; ok=0; fi
if [ -n "$want_out" ] && ! grep -Eq -- "$want_out" "$tmp/out"; then echo "stdout does not match: $want_out"; ok=0; fi
if [ "$ok" = 0 ]; then
  echo "--- command: $*"; echo "--- stderr:"; head -c 4000 "$tmp/err"; echo "--- stdout:"; head -c 2000 "$tmp/out"; exit 1
fi
# Errors are one line on stderr, in the contract's form.
if [ "$want_exit" = 2 ] && ! grep -Eq '^mlgate-[a-z]+: error: ' "$tmp/err"; then
  echo "exit 2 without a 'mlgate-NAME: error:' line"; cat "$tmp/err"; exit 1
fi
exit 0
