#!/usr/bin/env bash
# The README's main command: install dependencies, build, check every golden case of
# tests/golden/reference (or $LAGM_GOLDEN_DIR), then run `lagm demo`: the whole method end to end on
# the built-in faces domain with the shipped generator (models/faces64.safetensors), baselines
# included, into demo-run/ (report.html, report.md, results.json). Extra arguments go to `lagm demo`
# (e.g. --labels 2, --labelled-style flat, --quick, --out DIR, --seeds 0,1,2).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
golden=${LAGM_GOLDEN_DIR:-tests/golden/reference}
status=0
cases=0
for case_dir in "$golden"/*/; do
  [ -f "$case_dir/case.json" ] || continue
  cases=$((cases + 1))
  ./build/golden_check "$case_dir" | tail -n 1 || status=1
done
if [ "$cases" -eq 0 ]; then
  echo "main.sh: no golden cases found in $golden (expected folders with case.json)" >&2
  exit 1
fi
echo "main.sh: $cases golden cases checked"
./build/lagm demo --out demo-run "$@"
exit $status
