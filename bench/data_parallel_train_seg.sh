#!/usr/bin/env bash
# train-seg: 1 process x 2 threads against 2 processes x 1 thread (lagm launch), the same global
# batch and steps, taking turns REPS times; prints each run's seconds and the median ratio.
# Usage: bench/data_parallel_train_seg.sh LAGM DATA [REPS] [extra train-seg options]
set -euo pipefail
lagm=$1 data=$2 reps=${3:-2}
shift $(( $# >= 3 ? 3 : 2 ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train-seg --data "$data" --base-channels 16 --batch 16 --epochs 1 --max-steps 60 "$@")
one=() two=()
for rep in $(seq "$reps"); do
  rm -rf "$work"/*
  start=$(date +%s.%N)
  "$lagm" "${common[@]}" --threads 2 --out "$work/one" > /dev/null 2>&1
  one+=("$(echo "$(date +%s.%N) - $start" | bc)")
  start=$(date +%s.%N)
  "$lagm" launch --nproc 2 --master-port $((24000 + rep)) -- "$lagm" "${common[@]}" --threads 1 \
    --out "$work/two" > /dev/null 2>&1
  two+=("$(echo "$(date +%s.%N) - $start" | bc)")
  echo "rep $rep: 1 process x 2 threads ${one[-1]} s, 2 processes x 1 thread ${two[-1]} s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m1=$(median "${one[@]}") m2=$(median "${two[@]}")
echo "median: 1x2 ${m1} s, 2x1 ${m2} s, ratio (2x1 / 1x2) $(echo "scale=3; $m2 / $m1" | bc)"
