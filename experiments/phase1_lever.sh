#!/usr/bin/env bash
# Phase I with one lever changed, judged in minutes: reruns the gradient-matching annotator of a
# finished `lagm demo` seed folder from its own resolved config (gradient_matching/annotator/*/
# config.json) with the JSON keys given merged in, then measures its labels on 200 generated images
# against that seed's oracle (`lagm annotator-quality --calibrate-priors`, as the demo synthesizes).
# Usage: experiments/phase1_lever.sh SEED_DIR NAME '{"label_augment": true}' [LAGM]
# LAGM_THREADS=N passes --threads N (two runs side by side on 2 cores: 1 each).
# Writes SEED_DIR/levers/NAME/ (the run) and SEED_DIR/levers/NAME.json (the quality), and prints the
# calibrated FG-mIoU beside the demo's own annotator's.
set -euo pipefail
seed_dir=$1 name=$2 overrides=$3 lagm=${4:-$(dirname "$0")/../build/lagm}
config=$(ls "$seed_dir"/gradient_matching/annotator/*/config.json | head -1)
oracle_epoch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["epoch"])' \
  "$seed_dir/oracle/segmenter/best.json")
oracle=$(printf '%s/oracle/segmenter/segmenter-%03d.safetensors' "$seed_dir" "$oracle_epoch")
out=$seed_dir/levers/$name
mkdir -p "$seed_dir/levers"
python3 - "$config" "$overrides" "$name" > "$out.config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(json.loads(sys.argv[2]))
c["run_name"] = sys.argv[3]
json.dump(c, sys.stdout, indent=1)
PY
rm -rf "$out"
threads=(--threads "${LAGM_THREADS:-0}")
"$lagm" train-annotator "${threads[@]}" --config "$out.config.json" --runs "$out" > "$out.log" 2>&1
run=$(ls -d "$out"/*/ | head -1)
"$lagm" annotator-quality "${threads[@]}" --run "$run" --oracle "$oracle" --calibrate-priors --json "$out.json" \
  >> "$out.log" 2>&1
python3 - "$out.json" "$seed_dir/gradient_matching/annotator_quality.json" "$name" <<'PY'
import json, sys
def fg(p):
    j = json.load(open(p))
    return 100 * j["vs_oracle"]["fg_mIoU"], j
new, nj = fg(sys.argv[1])
base, _ = fg(sys.argv[2])
parts = " ".join(f"{n} {100 * v:.1f}" for n, v in
                 zip(nj["class_names"][1:], nj["vs_oracle"]["per_class_iou"][1:]))
print(f"{sys.argv[3]}: annotator FG-mIoU {new:.1f} (the demo's own: {base:.1f}); {parts}")
PY
