#!/usr/bin/env bash
# The README's main command: install dependencies, build, check every golden case of
# ../shared/golden, then run `lagm demo`: the whole method end to end on the built-in faces domain
# with the shipped generator (models/faces64.safetensors), baselines included, into demo-run/
# (report.html, report.md, results.json). Extra arguments go to `lagm demo`
# (e.g. --labels 2, --labelled-style flat, --quick, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
golden=${LAGM_GOLDEN_DIR:-../shared/golden}
status=0
for case_dir in "$golden"/*/; do
  [ -f "$case_dir/case.json" ] || continue
  ./build/golden_check "$case_dir" | tail -n 1 || status=1
done
./build/lagm demo --out demo-run "$@"
exit $status
