#!/usr/bin/env bash
# Side-by-side benchmarks against the Python peers, in the same run: wall-time ratio and peak
# memory of each. Usage: bench/run.sh [eval] [ROWS]   (default: eval, 10,000,000 rows)
# Data is generated once into bench/data/ (git-ignored). Needs scripts/deps.sh test.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-eval}
rows=${2:-10000000}
bin=build/release/src/tools
mkdir -p bench/data bench/results
[ -x $bin/mlgate-eval ] || scripts/build.sh release >/dev/null

measure() {  # measure LABEL COMMAND...: prints "LABEL seconds peak_kb"
  local label=$1; shift
  local f; f=$(mktemp)
  /usr/bin/time -o "$f" -f "%e %M" "$@" >/dev/null 2>&1 || true
  echo "$label $(tail -1 "$f")"; rm -f "$f"
}

report() {  # report NAME OURS PEER
  read -r _ t1 m1 <<<"$2"; read -r _ t2 m2 <<<"$3"
  /usr/bin/python3 - "$1" "$t1" "$m1" "$t2" "$m2" <<'PY'
import sys
name, t1, m1, t2, m2 = sys.argv[1], *map(float, sys.argv[2:])
print(f"{name}: mlgate {t1:.2f} s, {m1/1024:.0f} MiB | peer {t2:.2f} s, {m2/1024:.0f} MiB | "
      f"{t2/t1:.1f}x faster, {100*m1/m2:.0f}% of the peer's memory")
PY
}

case "$what" in
  eval)
    data=bench/data/binary_${rows}.csv
    [ -f "$data" ] || /usr/bin/python3 bench/gen_binary.py "$data" "$rows"
    cat "$data" >/dev/null  # both read from the page cache
    ours=$(measure mlgate $bin/mlgate-eval --data "$data" --slice-col group -o /tmp/mlgate-bench.json)
    peer=$(measure peer /usr/bin/python3 bench/peer_eval.py "$data" --slices)
    report "eval, $rows rows, 12 slices" "$ours" "$peer" | tee bench/results/eval.txt
    ;;
  *) echo "unknown benchmark: $what" >&2; exit 2 ;;
esac
