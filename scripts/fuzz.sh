#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UBSan) in ./build-fuzz and runs each for
# SECONDS (default 600) from its seed corpus in fuzz/corpus/<target>; new inputs go to
# build-fuzz/corpus/<target>, crashes to build-fuzz/crashes/. Prints executions per second and the
# coverage reached per target. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# With LAGM_FUZZ_RUNS=N each target instead runs N inputs from a fixed seed (-seed=1), SECONDS
# being only a cap: nearly the same inputs on every machine (coverage feedback still varies a
# little), so that a finding in CI is the code's rather than the luck of the draw (CI:
# scripts/test.sh). Exploration runs are time-limited and randomly seeded.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors npy image config voc_xml pascal_part_mat pickle)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DLAGM_FUZZ=ON \
      -DLAGM_BUILD_TESTS=OFF -DLAGM_BUILD_BENCH=OFF > build-fuzz.configure.log 2>&1 || { cat build-fuzz.configure.log; exit 1; }
ninja -C build-fuzz $(printf 'fuzz/fuzz_%s ' "${targets[@]}")
mkdir -p build-fuzz/crashes
# LibTorch is not instrumented: its allocator pairs and one-definition duplicates are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-alloc_dealloc_mismatch=0:detect_odr_violation=0:detect_leaks=0}
status=0
budget=(-max_total_time="$seconds")
[ -n "${LAGM_FUZZ_RUNS:-}" ] && budget+=(-runs="$LAGM_FUZZ_RUNS" -seed=1)
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  log="build-fuzz/fuzz_$t.log"
  if ! build-fuzz/fuzz/fuzz_$t "${budget[@]}" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
       -artifact_prefix="build-fuzz/crashes/${t}-" "build-fuzz/corpus/$t" "fuzz/corpus/$t" > "$log" 2>&1; then
    status=1
    echo "$t: FINDING (see $log and build-fuzz/crashes/)"
  fi
  # The last status line: "#<runs> DONE cov: <edges> ft: <features> corp: ... exec/s: <rate>".
  echo "$t: $(grep -E '^#[0-9]+' "$log" | tail -1)"
done
exit $status
