#!/usr/bin/env bash
# `lagm synthesize` of two builds (or two precisions) on one phase-I run, taking turns, whole
# commands (start-up included): images/s of each and their ratio.
#   [THREADS=1] bench/synthesize_side_by_side.sh BASELINE_LAGM LAGM RUN [NUM] [ROUNDS]
# prints, per round, the baseline, LAGM exact (fp32) and LAGM --precision bf16.
set -euo pipefail
base=$1 lagm=$2 run=$3 num=${4:-500} rounds=${5:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seconds() {  # seconds of one whole synthesize command into a fresh folder
  local out="$tmp/out"
  rm -rf "$out"
  local start end
  start=$(date +%s.%N)
  "$1" synthesize --run "$run" --num "$num" --out "$out" ${THREADS:+--threads "$THREADS"} "${@:2}" \
    > /dev/null 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
printf "%-6s %12s %12s %12s %10s %10s\n" round baseline_s fp32_s bf16_s fp32_x bf16_x
for r in $(seq 1 "$rounds"); do
  b=$(seconds "$base")
  e=$(seconds "$lagm" --precision fp32)
  f=$(seconds "$lagm" --precision bf16)
  printf "%-6s %12.2f %12.2f %12.2f %9.2fx %9.2fx\n" "$r" "$b" "$e" "$f" \
    "$(echo "$b / $e" | bc -l)" "$(echo "$b / $f" | bc -l)"
done
echo "($num images each; images/s = $num / seconds)"
