#!/usr/bin/env bash
# Builds lagm and its unit tests with AddressSanitizer + UBSan in ./build-asan and runs them
# (CTest label `unit`; the golden and CLI suites too with `scripts/sanitize.sh -L 'unit|golden|cli'`).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLAGM_SANITIZE=ON -DLAGM_BUILD_BENCH=OFF \
      > build-asan.configure.log 2>&1 || { cat build-asan.configure.log; exit 1; }
ninja -C build-asan
# LibTorch is not instrumented: its allocator pairs and one-definition duplicates are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-alloc_dealloc_mismatch=0:detect_odr_violation=0:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
[ $# -gt 0 ] || set -- -L unit
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" "$@"
