#!/usr/bin/env bash
# `lagm predict` against `lagm eval` on the same labelled images with the same model, taking turns,
# whole commands (start-up included): seconds and images/s of each and predict's time over eval's.
#   [THREADS=2] [BATCH=8] bench/predict_vs_eval.sh LAGM MODEL DATA [ROUNDS]
# DATA is a labelled folder (e.g. `lagm render --domain faces --style photo --res 64 --num 1000`);
# predict reads DATA/img and writes a mask per image into a fresh folder (no overlays); eval reads
# DATA (images and labels) and scores them. Same --batch and --threads for both.
set -euo pipefail
lagm=$1 model=$2 data=$3 rounds=${4:-3}
threads=${THREADS:-$(nproc)} batch=${BATCH:-8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count=$(find "$data/img" -name '*.png' | wc -l)
seconds() {  # seconds of one whole command
  local start end
  start=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
printf "%-6s %10s %10s %12s %12s %14s\n" round eval_s predict_s eval_img/s predict_img/s predict/eval
for r in $(seq 1 "$rounds"); do
  e=$(seconds "$lagm" eval --model "$model" --data "$data" --batch "$batch" --threads "$threads")
  rm -rf "$tmp/pred"
  p=$(seconds "$lagm" predict --model "$model" --images "$data/img" --out "$tmp/pred" \
        --batch "$batch" --threads "$threads")
  printf "%-6s %10.2f %10.2f %12.1f %12.1f %13.2fx\n" "$r" "$e" "$p" "$(echo "$count / $e" | bc -l)" \
    "$(echo "$count / $p" | bc -l)" "$(echo "$p / $e" | bc -l)"
done
echo "($count images of $data, batch $batch, $threads threads; $("$lagm" --version))"
