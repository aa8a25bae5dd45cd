#!/usr/bin/env bash
# The README's test command: install dependencies, build, run every test but the `slow` ones,
# clang-tidy on the whole tree, then run each libFuzzer target on a fixed set of inputs:
# LAGM_FUZZ_RUNS (default 30000) mutations from seed 1, capped at LAGM_FUZZ_SECONDS (default 60) per
# target; LAGM_FUZZ_SECONDS=0 skips the fuzzing.
# A fixed seed and count make CI's verdict depend on the code, not the draw; scripts/fuzz.sh explores.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" -LE slow)
# clang-tidy over every translation unit the build compiles (~15 min on 2 cores); LAGM_TIDY=0 skips
# it (CTest's lint.tidy above checks the files that do not include LibTorch).
if [ "${LAGM_TIDY:-1}" != 0 ]; then
  python3 scripts/check_tidy.py --all
fi
fuzz_seconds=${LAGM_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
  LAGM_FUZZ_RUNS=${LAGM_FUZZ_RUNS:-30000} ./scripts/fuzz.sh "$fuzz_seconds"
fi
