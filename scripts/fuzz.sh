#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each on its committed corpus.
#   fuzz.sh smoke        a short run of every target (what the tests run)
#   fuzz.sh long SECONDS a longer run of every target; crashes land in build/fuzz/findings
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-smoke}
seconds=${2:-15}
[ "$mode" = smoke ] && seconds=${FUZZ_SECONDS:-15}
scripts/build.sh fuzz >/dev/null
mkdir -p build/fuzz/work build/fuzz/findings
status=0
for target in table policy result suite http served parquet state profile; do
  work=build/fuzz/work/$target
  mkdir -p "$work"
  if ! build/fuzz/tests/fuzz/fuzz_$target "$work" tests/fuzz/corpus/$target \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
      -artifact_prefix=build/fuzz/findings/$target- -print_final_stats=1 >build/fuzz/$target.log 2>&1; then
    grep -E "unexpected exception|ERROR|SUMMARY" build/fuzz/$target.log | head -5
    echo "fuzz: $target FAILED (see build/fuzz/$target.log and build/fuzz/findings)"
    status=1
  else
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' build/fuzz/$target.log | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $target ok ($runs inputs in ${seconds}s)"
  fi
done
exit $status
