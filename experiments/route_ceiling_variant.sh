#!/usr/bin/env bash
# The route ceiling of a finished `lagm demo --route-ceiling` seed folder again with another
# generator (how good the generator must be for the synthetic route to pay: the paper's Table C.10)
# or other route levers (--synthesis-psi, --synthesized).
# Copies every finished stage of SEED_DIR to NEW_DIR except the route ceiling's own
# (oracle_pseudo_label and oracle_pseudo_label_synthetic_only) and runs the demo there with
# --generator GENERATOR, which then trains only those: the same oracle labels images of GENERATOR, an
# annotator fits them, synthesis, the downstream U-Nets. Only the route ceiling's rows of NEW_DIR's
# report come from GENERATOR; every other row is SEED_DIR's, made with SEED_DIR's generator.
# Usage: experiments/route_ceiling_variant.sh SEED_DIR NEW_DIR GENERATOR [demo options...]
#   (the demo options of SEED_DIR's run, e.g. --synthetic-only-rows, and the levers to try;
#   --route-ceiling is added)
# LAGM=path/to/lagm overrides the binary (default: build/lagm beside this script).
set -euo pipefail
seed_dir=$1 new_dir=$2 generator=$3
shift 3
lagm=${LAGM:-$(dirname "$0")/../build/lagm}
# shellcheck source=experiments/seed_dir.sh
. "$(dirname "$0")/seed_dir.sh"
read -r seed labels style < <(seed_dir_settings "$seed_dir")
[ -f "$seed_dir/stages/oracle_pseudo_label.done.json" ] || {
  echo "route_ceiling_variant: $seed_dir: not a finished --route-ceiling run" >&2
  exit 2
}
if [ -e "$new_dir" ]; then
  echo "route_ceiling_variant: $new_dir exists; the demo there resumes where it stopped" >&2
else
  mkdir -p "$new_dir/stages"
  for marker in "$seed_dir"/stages/*.done.json; do
    stage=$(basename "$marker" .done.json)
    case "$stage" in oracle_pseudo_label | oracle_pseudo_label_synthetic_only) continue ;; esac
    cp "$marker" "$new_dir/stages/"
    # The render stage's output is the data folder; every other stage's is its arm's folder.
    if [ "$stage" = render ]; then cp -r "$seed_dir/data" "$new_dir/"; fi
    if [ -d "$seed_dir/$stage" ]; then cp -r "$seed_dir/$stage" "$new_dir/"; fi
  done
fi
exec "$lagm" demo --out "$new_dir" --seed "$seed" --labels "$labels" --labelled-style "$style" \
  --route-ceiling --generator "$generator" "$@"
