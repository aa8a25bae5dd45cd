#!/usr/bin/env bash
# The README's main command: install dependencies, build, then run the most complete pipeline that
# exists (for now: check every golden case of ../shared/golden this build implements).
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
exit $status
