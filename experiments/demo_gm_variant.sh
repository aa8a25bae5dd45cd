#!/usr/bin/env bash
# The gradient-matching arm of a finished `lagm demo` seed folder again, with other levers, beside
# the same baselines: copies the folder's finished render, few-label, oracle and pseudo-labelling
# stages to NEW_DIR (they do not depend on the gradient-matching levers) and runs the demo there,
# which then trains only the gradient-matching arm (phase I, synthesis, downstream U-Net) and
# reports every arm. The seed and N are read from the folder's labelled set.
# Usage: experiments/demo_gm_variant.sh SEED_DIR NEW_DIR [demo options...]
#   e.g. experiments/demo_gm_variant.sh demo-run/seed-2 variants/seed-2-plw1 --gm-pseudo-label-weight 1
# LAGM=path/to/lagm overrides the binary (default: build/lagm beside this script).
set -euo pipefail
seed_dir=$1 new_dir=$2
shift 2
lagm=${LAGM:-$(dirname "$0")/../build/lagm}
# shellcheck source=experiments/seed_dir.sh
. "$(dirname "$0")/seed_dir.sh"
read -r seed labels style < <(seed_dir_settings "$seed_dir")
for stage in render few_label oracle pseudo_label; do
  [ -f "$seed_dir/stages/$stage.done.json" ] || {
    echo "demo_gm_variant: $seed_dir: stage $stage is not finished" >&2
    exit 2
  }
done
if [ -e "$new_dir" ]; then
  echo "demo_gm_variant: $new_dir exists; the demo there resumes where it stopped" >&2
else
  mkdir -p "$new_dir/stages"
  cp -r "$seed_dir/data" "$seed_dir/few_label" "$seed_dir/oracle" "$seed_dir/pseudo_label" "$new_dir/"
  for stage in render few_label oracle pseudo_label; do
    cp "$seed_dir/stages/$stage.done.json" "$new_dir/stages/"
  done
fi
exec "$lagm" demo --out "$new_dir" --seed "$seed" --labels "$labels" --labelled-style "$style" "$@"
