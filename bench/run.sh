#!/usr/bin/env bash
# Side-by-side benchmarks against the peers, in the same run: wall-time ratio and peak memory.
# Usage: bench/run.sh eval [ROWS]   mlgate-eval vs pandas + scikit-learn (default 10M rows)
#        bench/run.sh compare        paired bootstrap vs the scikit-learn loop (500k rows, 2000
#                                    resamples), DeLong vs R's pROC roc.test (1M rows)
#        bench/run.sh datatest [ROWS] expectations and drift on 20 columns vs pandas + scipy (2M rows)
#        bench/run.sh fairness [ROWS] 12 intersectional groups vs pandas groupby + scikit-learn
#                                    (the per-group metrics, ROC AUC included; 10M rows)
#        bench/run.sh ranking [ROWS] six ranking metrics at k=10 overall and per market (8) vs
#                                    pandas + scikit-learn's ndcg_score per query (2M rows)
#        bench/run.sh scale [ROWS]   one mlgate-eval over ROWS rows (default 50M) against the same
#                                    rows in 8 parts, each part's mlgate-eval --state-out (time and
#                                    peak memory per worker) then mlgate-merge; state sizes
#        bench/run.sh large [ROWS]    peak memory of eval and datatest on 50M rows (no peer)
#        bench/run.sh parquet [ROWS]  mlgate-eval on Parquet (DuckDB-written, zstd) vs DuckDB's bare scan of
#                                    the same columns and DuckDB computing the metrics in SQL, and vs
#                                    mlgate-eval on the same data as CSV (10M rows)
#        bench/run.sh served [ROWS]   mlgate-eval --model-url against a server that answers at once
#                                    (node, MLflow protocol), batch 256: rows per second vs a Python
#                                    urllib loop and vs the server's ceiling measured by wrk (1M)
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

best() {  # best REPS LABEL COMMAND...: the fastest of REPS runs (the machine is shared and noisy)
  local reps=$1 label=$2; shift 2
  for _ in $(seq "$reps"); do measure "$label" "$@"; done | sort -k2,2g | head -1
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
    ours=$(best 3 mlgate $bin/mlgate-eval --data "$data" --slice-col group -o /tmp/mlgate-bench.json)
    peer=$(measure peer /usr/bin/python3 bench/peer_eval.py "$data" --slices)  # a minute: once
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
  ranking)
    [ "${2:-}" ] || rows=2000000
    data=bench/data/ranking_${rows}.csv
    [ -f "$data" ] || /usr/bin/python3 bench/gen_ranking.py "$data" "$rows"
    cat "$data" >/dev/null
    ours=$(best 3 mlgate $bin/mlgate-eval --data "$data" --task ranking --query-col query \
      --label-col relevance --slice-col market -o /tmp/mlgate-bench.json)
    peer=$(measure peer /usr/bin/python3 bench/peer_ranking.py "$data")
    report "ranking, $rows rows, 8 slices" "$ours" "$peer" | tee bench/results/ranking.txt
    ;;
  scale)
    [ "${2:-}" ] || rows=50000000
    data=bench/data/binary_${rows}.csv
    [ -f "$data" ] || /usr/bin/python3 bench/gen_binary.py "$data" "$rows"
    parts=bench/data/scale_${rows}
    if [ ! -f "$parts/part-7.csv" ]; then
      mkdir -p "$parts"
      /usr/bin/python3 - "$data" "$parts" "$rows" <<'PY'
import sys
src, out, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src) as f:
    head = f.readline()
    for k in range(8):
        with open(f"{out}/part-{k}.csv", "w") as o:
            o.write(head)
            for _ in range(rows // 8 + (1 if k < rows % 8 else 0)):
                o.write(f.readline())
PY
    fi
    cat "$data" "$parts"/*.csv >/dev/null
    one=$(best 2 one $bin/mlgate-eval --data "$data" --slice-col group -o /tmp/mlgate-one.json)
    echo "one process: $one (seconds, peak KiB)" | tee bench/results/scale.txt
    for k in 0 1 2 3 4 5 6 7; do
      measure "part-$k" $bin/mlgate-eval --data "$parts/part-$k.csv" --slice-col group \
        --state-out "$parts/part-$k.state" -o /dev/null | tee -a bench/results/scale.txt
    done
    measure merge $bin/mlgate-merge "$parts"/part-*.state -o /tmp/mlgate-merged.json | tee -a bench/results/scale.txt
    ls -l "$parts"/part-*.state | awk '{s+=$5} END {print "state sizes: " s " bytes in " NR " states"}' | tee -a bench/results/scale.txt
    /usr/bin/python3 - <<'PY' | tee -a bench/results/scale.txt
import json
a, b = (json.load(open(p))["metrics"] for p in ("/tmp/mlgate-one.json", "/tmp/mlgate-merged.json"))
a.pop("curves"), b.pop("curves")
print("merged document equals the one-process document:", a == b)
PY
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
  parquet)
    n=${2:-10000000}
    csv=bench/data/binary_$n.csv pq=bench/data/binary_$n.parquet
    [ -f "$csv" ] || /usr/bin/python3 bench/gen_binary.py "$csv" "$n"
    [ -f "$pq" ] || node tools/duckdb/write.mjs \
      "COPY (SELECT * FROM read_csv('$csv')) TO '$pq' (FORMAT parquet, COMPRESSION zstd)" >/dev/null
    cat "$csv" "$pq" >/dev/null  # everything from the page cache
    ours=$(best 5 mlgate $bin/mlgate-eval --data "$pq" --slice-col group -o /tmp/mlgate-bench.json)
    ours_csv=$(best 5 csv $bin/mlgate-eval --data "$csv" --slice-col group -o /tmp/mlgate-bench-csv.json)
    scan=$(best 5 scan node tools/duckdb/bench_parquet.mjs "$pq" scan)
    sql=$(measure sql node tools/duckdb/bench_parquet.mjs "$pq" metrics)
    scan_q=$(node tools/duckdb/bench_parquet.mjs "$pq" scan)
    sql_q=$(node tools/duckdb/bench_parquet.mjs "$pq" metrics)
    /usr/bin/python3 - "$n" "$ours" "$ours_csv" "$scan" "$sql" "$scan_q" "$sql_q" <<'PY' | tee bench/results/parquet.txt
import sys
n = int(sys.argv[1])
(_, t, m), (_, tc, mc), (_, ts, ms), (_, tq, mq) = (a.split() for a in sys.argv[2:6])
t, m, tc, mc, ts, ms, tq, mq = map(float, (t, m, tc, mc, ts, ms, tq, mq))
scan_q, sql_q = map(float, sys.argv[6:8])
print(f"parquet, {n:,} rows (zstd), eval with 12 slices: mlgate {t:.2f} s, {m / 1024:.0f} MiB | "
      f"DuckDB bare scan {ts:.2f} s ({scan_q:.2f} s in the query), {ms / 1024:.0f} MiB | "
      f"DuckDB metrics in SQL {tq:.2f} s ({sql_q:.2f} s in the query), {mq / 1024:.0f} MiB | "
      f"mlgate on the CSV {tc:.2f} s, {mc / 1024:.0f} MiB")
print(f"  mlgate's full evaluation at {t / ts:.2f}x DuckDB's bare scan (process to process), "
      f"{tq / t:.1f}x faster than DuckDB's SQL metrics, {tc / t:.1f}x faster than mlgate on CSV")
PY
    ;;
  served)
    n=${2:-1000000}
    data=bench/data/features_$n.csv body=bench/data/body_256.json
    [ -f "$data" ] || /usr/bin/python3 bench/gen_features.py "$data" "$n" "$body" 256
    port_file=$(mktemp -u)
    node bench/serve_fast.js "$port_file" &
    server=$!
    trap 'kill $server 2>/dev/null || true' EXIT
    for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.1; done
    url=http://127.0.0.1:$(cat "$port_file")
    # The ceiling: wrk posting one 256-row batch over 4 connections (mlgate's default
    # concurrency), before and after mlgate's runs; the higher of the two counts.
    lua=$(mktemp --suffix .lua)
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal f = io.open("%s")\nwrk.body = f:read("*a")\nf:close()\n' "$PWD/$body" >"$lua"
    ceiling() { wrk -t1 -c4 -d5s -s "$lua" "$url/invocations" | awk '/Requests\/sec/ {print $2}'; }
    wrk -t1 -c4 -d3s -s "$lua" "$url/invocations" >/dev/null 2>&1  # the server's JIT warmed up
    rps1=$(ceiling)
    runs=""
    for _ in 1 2 3; do
      $bin/mlgate-eval --features "$data" --model-url "$url" --batch-size 256 -o /tmp/mlgate-bench.json 2>/dev/null
      runs="$runs $(/usr/bin/python3 -c "import json; print(json.load(open('/tmp/mlgate-bench.json'))['metrics']['rows_per_second'])")"
    done
    rps2=$(ceiling)
    rm -f "$lua"
    peer=$(/usr/bin/python3 bench/peer_served.py "$data" "$url" 256)
    /usr/bin/python3 - "$n" "$peer" "$rps1" "$rps2" $runs <<'PY' | tee bench/results/served.txt
import statistics, sys
n, peer, r1, r2, *runs = map(float, sys.argv[1:])
ours, ceiling = statistics.median(runs), max(r1, r2) * 256
print(f"served model, {int(n):,} rows, batch 256: mlgate {ours:,.0f} rows/s (median of 3) | Python urllib loop "
      f"{peer:,.0f} rows/s | {ours / peer:.1f}x faster | server ceiling (wrk, 4 connections) {ceiling:,.0f} rows/s, "
      f"mlgate at {100 * ours / ceiling:.0f}%")
PY
    ;;
  *) echo "unknown benchmark: $what" >&2; exit 2 ;;
esac
