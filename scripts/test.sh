#!/usr/bin/env bash
# The README's test command: install dependencies, build, run every test but the `slow` ones, then
# run each libFuzzer target on a fixed set of inputs: LAGM_FUZZ_RUNS (default 30000) mutations from
# seed 1, capped at LAGM_FUZZ_SECONDS (default 60) per target; LAGM_FUZZ_SECONDS=0 skips the fuzzing.
# A fixed seed and count make CI's verdict depend on the code, not the draw; scripts/fuzz.sh explores.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" -LE slow)
fuzz_seconds=${LAGM_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
  LAGM_FUZZ_RUNS=${LAGM_FUZZ_RUNS:-30000} ./scripts/fuzz.sh "$fuzz_seconds"
fi
