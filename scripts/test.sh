#!/usr/bin/env bash
# The README's test command: install dependencies, build, run every test but the `slow` ones, then
# run each libFuzzer target for a short time (LAGM_FUZZ_SECONDS, default 20; 0 skips the fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc)" -LE slow)
fuzz_seconds=${LAGM_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" -gt 0 ]; then
  ./scripts/fuzz.sh "$fuzz_seconds"
fi
