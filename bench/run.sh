#!/usr/bin/env bash
# Side-by-side benchmarks against the peers, in the same run: wall-time ratio and peak memory.
# Usage: bench/run.sh eval [ROWS]   mlgate-eval vs pandas + scikit-learn (default 10M rows)
#        bench/run.sh compare        paired bootstrap vs the scikit-learn loop (500k rows, 2000
#                                    resamples), DeLong vs R's pROC roc.test (1M rows)
#        bench/run.sh datatest [ROWS] expectations and drift on 20 columns vs pandas + scipy (2M rows)
#        bench/run.sh fairness [ROWS] 12 intersectional groups vs pandas groupby + scikit-learn
#                                    (the per-group metrics, ROC AUC included; 10M rows)
#        bench/run.sh large [ROWS]    peak memory of eval and datatest on 50M rows (no peer)
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
  compare)
    for n in 500000 1000000; do
      [ -f bench/data/cand_$n.csv ] || /usr/bin/python3 bench/gen_pair.py bench/data/cand_$n.csv bench/data/base_$n.csv $n
      cat bench/data/cand_$n.csv bench/data/base_$n.csv >/dev/null
    done
    ours=$(measure mlgate $bin/mlgate-compare --candidate bench/data/cand_500000.csv --baseline bench/data/base_500000.csv \
      --policy bench/policy_bootstrap.yaml -o /tmp/mlgate-bench.json)
    # The peer loop takes minutes for 2000 resamples: time 10 in this run and scale.
    read -r t_read t_per < <(/usr/bin/python3 bench/peer_bootstrap.py bench/data/cand_500000.csv bench/data/base_500000.csv 10)
    read -r _ t1 _ <<<"$ours"
    /usr/bin/python3 -c "import sys; r, p, t = map(float, sys.argv[1:]); peer = r + 2000 * p; \
print(f'paired bootstrap of roc_auc, 500k rows, 2000 resamples: mlgate {t:.2f} s | scikit-learn loop {peer:.0f} s '\
f'(measured {p:.3f} s per resample over 10) | {peer / t:.0f}x faster')" "$t_read" "$t_per" "$t1" | tee bench/results/bootstrap.txt
    ours=$(measure mlgate $bin/mlgate-compare --candidate bench/data/cand_1000000.csv --baseline bench/data/base_1000000.csv \
      --policy bench/policy_delong.yaml -o /tmp/mlgate-bench.json)
    peer=$(measure peer Rscript bench/peer_delong.R bench/data/cand_1000000.csv bench/data/base_1000000.csv)
    report "DeLong end to end, 1M paired rows" "$ours" "$peer" | tee bench/results/delong.txt
    ;;
  datatest)
    n=${2:-2000000}
    ref=bench/data/table_ref_$n.csv cur=bench/data/table_cur_$n.csv
    [ -f "$cur" ] || /usr/bin/python3 bench/gen_table.py "$ref" "$cur" "$n"
    cat "$ref" "$cur" >/dev/null
    ours=$(measure mlgate $bin/mlgate-datatest --data "$cur" --reference "$ref" --suite bench/suite_bench.yaml -o /tmp/mlgate-bench.json)
    peer=$(measure peer /usr/bin/python3 bench/peer_datatest.py "$ref" "$cur")
    report "datatest, 20 columns x $n rows against $n reference rows" "$ours" "$peer" | tee bench/results/datatest.txt
    ;;
  fairness)
    n=${2:-10000000}
    data=bench/data/fair_$n.csv
    [ -f "$data" ] || /usr/bin/python3 bench/gen_fair.py "$data" "$n"
    cat "$data" >/dev/null
    ours=$(measure mlgate $bin/mlgate-fairness --data "$data" --policy bench/policy_fairness.yaml -o /tmp/mlgate-bench.json)
    peer=$(measure peer /usr/bin/python3 bench/peer_fairness.py "$data")
    report "fairness, $n rows, 12 intersectional groups" "$ours" "$peer" | tee bench/results/fairness.txt
    # The per-group computation alone, reading excluded on both sides.
    c1=$(MLGATE_TIMING=1 $bin/mlgate-fairness --data "$data" --policy bench/policy_fairness.yaml -o /dev/null 2>&1 | grep -o 'computed in [0-9.]*' | grep -o '[0-9.]*$')
    c2=$(/usr/bin/python3 bench/peer_fairness.py "$data" 2>&1 >/dev/null | grep -o 'computed in [0-9.]*' | grep -o '[0-9.]*$')
    /usr/bin/python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'fairness computation after reading: mlgate {a:.3f} s | pandas groupby + scikit-learn {b:.3f} s | {b / a:.1f}x faster')" "$c1" "$c2" | tee -a bench/results/fairness.txt
    ;;
  large)
    n=${2:-50000000}
    data=bench/data/binary_$n.csv
    [ -f "$data" ] || /usr/bin/python3 bench/gen_binary.py "$data" "$n"
    for run in "eval:$bin/mlgate-eval --data $data --slice-col group -o /tmp/mlgate-bench.json" \
               "datatest:$bin/mlgate-datatest --data $data --reference $data --suite bench/suite_large.yaml -o /tmp/mlgate-bench.json"; do
      read -r _ t m <<<"$(measure x ${run#*:})"
      /usr/bin/python3 -c "import sys; t, m, n = map(float, sys.argv[1:]); print(f'${run%%:*} on {int(n):,} rows: {t:.1f} s, peak {m / 1024:.0f} MiB ({m * 1024 / n:.1f} bytes per row)')" "$t" "$m" "$n" | tee -a bench/results/large.txt
    done
    ;;
  *) echo "unknown benchmark: $what" >&2; exit 2 ;;
esac
