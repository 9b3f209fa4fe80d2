#!/usr/bin/env bash
# Two builds of mlgate on the same data in the same run, alternating, for a change that must not
# be slower (a refactoring, say): wall time and peak memory of each, best of N.
# Usage: bench/ab.sh OLD_TOOLS_DIR NEW_TOOLS_DIR [RUNS]   (data generated into bench/data/)
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: ab.sh OLD_TOOLS_DIR NEW_TOOLS_DIR [RUNS]} new=${2:?} runs=${3:-3}
mkdir -p bench/data
d=bench/data
[ -f $d/binary_3000000.csv ] || /usr/bin/python3 bench/gen_binary.py $d/binary_3000000.csv 3000000
[ -f $d/cand_500000.csv ] || /usr/bin/python3 bench/gen_pair.py $d/cand_500000.csv $d/base_500000.csv 500000
[ -f $d/table_cur_1000000.csv ] || /usr/bin/python3 bench/gen_table.py $d/table_ref_1000000.csv $d/table_cur_1000000.csv 1000000
[ -f $d/fair_3000000.csv ] || /usr/bin/python3 bench/gen_fair.py $d/fair_3000000.csv 3000000
cases=(
  "eval 3M rows, 12 slices|mlgate-eval --data $d/binary_3000000.csv --slice-col group -o /dev/null"
  "compare bootstrap 500k x 2000|mlgate-compare --candidate $d/cand_500000.csv --baseline $d/base_500000.csv --policy bench/policy_bootstrap.yaml -o /dev/null"
  "datatest 20 columns x 1M|mlgate-datatest --data $d/table_cur_1000000.csv --reference $d/table_ref_1000000.csv --suite bench/suite_bench.yaml -o /dev/null"
  "fairness 3M rows|mlgate-fairness --data $d/fair_3000000.csv --policy bench/policy_fairness.yaml -o /dev/null"
)
one() {  # one DIR COMMAND...: "seconds peak_kb"
  local dir=$1 f; shift
  f=$(mktemp)
  /usr/bin/time -o "$f" -f "%e %M" "$dir/$1" "${@:2}" >/dev/null 2>&1 || true
  tail -1 "$f"; rm -f "$f"
}
for c in "${cases[@]}"; do
  label=${c%%|*}; read -r -a cmd <<<"${c#*|}"
  cat "${cmd[2]}" >/dev/null
  bo=999 bn=999 mo=0 mn=0
  for _ in $(seq "$runs"); do
    read -r t m <<<"$(one "$old" "${cmd[@]}")"; bo=$(echo "$t $bo" | awk '{print ($1<$2)?$1:$2}'); mo=$m
    read -r t m <<<"$(one "$new" "${cmd[@]}")"; bn=$(echo "$t $bn" | awk '{print ($1<$2)?$1:$2}'); mn=$m
  done
  printf '%-32s old %6.2f s %5d MiB | new %6.2f s %5d MiB\n' "$label" "$bo" $((mo / 1024)) "$bn" $((mn / 1024))
done
