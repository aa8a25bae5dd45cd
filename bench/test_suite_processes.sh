#!/usr/bin/env bash
# Times the test suite two ways on the same build, one after the other:
#   per-binary: what `ctest` runs now (each test binary once, sharded; one CTest entry per test)
#   per-test:   one process per test (`<binary> --gtest_filter=<test>`), what gtest_discover_tests ran
# Both on $JOBS parallel jobs (default: the number of cores). Run it on an otherwise idle machine.
#   bench/test_suite_processes.sh [BUILD_DIR]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
jobs=${JOBS:-$(nproc)}
list=$(mktemp)
trap 'rm -f "$list"' EXIT
for bin in "$build"/tests/*_tests; do
  "$bin" --gtest_list_tests | awk -v bin="$bin" '
    /^[^ ]/ { sub(/ *#.*/, ""); suite = $0; next }
    /^  / { sub(/ *#.*/, ""); gsub(/ /, ""); if ((suite $0) !~ /DISABLED_/) print bin, suite $0 }' >> "$list"
done
tests=$(wc -l < "$list")
start=$(date +%s.%N)
(cd "$build" && ctest -j "$jobs" -LE slow > /dev/null) || echo "per-binary run had failures"
mid=$(date +%s.%N)
xargs -P "$jobs" -L 1 sh -c '"$0" --gtest_filter="$1" > /dev/null 2>&1 || echo "failed: $1"' < "$list"
end=$(date +%s.%N)
awk -v n="$tests" -v j="$jobs" -v a="$start" -v b="$mid" -v c="$end" 'BEGIN {
  printf "%d tests, %d jobs\nper-binary (ctest now): %.1f s\nper-test processes:     %.1f s\nratio: %.2fx\n",
         n, j, b - a, c - b, (c - b) / (b - a) }'
