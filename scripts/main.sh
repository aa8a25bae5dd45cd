#!/usr/bin/env bash
# The README's main command: install dependencies, build, then run the most complete pipeline that
# exists: every golden case of ../shared/golden this build implements, then phase I and phase II end
# to end on a small generator (the golden sg2_skip_r32 weights) with a random labelled set.
# (`lagm demo` on the built-in domain with shipped weights will replace the second part.)
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

work=$(mktemp -d /tmp/lagm-main.XXXXXX)
echo "pipeline in $work"
/usr/bin/python3 - "$golden" "$work" <<'PY'
import json, os, sys
import numpy as np
from PIL import Image
sys.path.insert(0, "tools/python")
import lagm_safetensors, torch
golden, work = sys.argv[1], sys.argv[2]
t, _ = lagm_safetensors.load(f"{golden}/sg2_skip_r32/weights.safetensors")
torch.save({k[2:]: v for k, v in t.items() if k.startswith("G.")}, f"{work}/G.pt")
json.dump(json.load(open(f"{golden}/sg2_skip_r32/case.json"))["generator"], open(f"{work}/G.json", "w"))
rng = np.random.RandomState(0)
for split, n in (("labelled", 4), ("val", 8)):
    os.makedirs(f"{work}/{split}/img"); os.makedirs(f"{work}/{split}/seg")
    for i in range(n):
        m = np.zeros((32, 32), np.uint8); y, x = rng.randint(0, 16, 2); m[y:y + 12, x:x + 12] = 1 + i % 2
        Image.fromarray(rng.randint(0, 256, (32, 32, 3)).astype(np.uint8)).save(f"{work}/{split}/img/{i:06d}.png")
        Image.fromarray(m, "P").save(f"{work}/{split}/seg/{i:06d}.png")
    json.dump({"classes": ["background", "a", "b"]}, open(f"{work}/{split}/dataset.json", "w"))
PY
/usr/bin/python3 tools/convert_stylegan2.py "$work/G.pt" "$work/G.safetensors" --kwargs "$work/G.json" --psi 0.7 --cutoff none
cat > "$work/run.json" <<JSON
{"generator": "$work/G.safetensors", "truncation_cutoff": null, "training_set": "$work/labelled",
 "validation_set": "$work/val", "segmenter": {"arch": "unet", "base_channels": 8},
 "annotator": {"tmp_channels": 16}, "annotator_optimizer": {"kind": "adam", "lr": 0.001},
 "segmenter_optimizer": {"kind": "adam", "lr": 0.001}, "total_iters": 40, "niter_per_tick": 10,
 "snapshot_ticks": 2, "run_name": "smoke"}
JSON
./build/lagm generate --generator "$work/G.safetensors" --seeds 0-15 --psi 0.7 --out "$work/samples.png"
./build/lagm train-annotator --config "$work/run.json" --outdir "$work/runs"
./build/lagm synthesize --run "$work/runs/00000-smoke" --num 64 --out "$work/synth"
./build/lagm train-seg --data "$work/synth" --val "$work/val" --arch unet --base-channels 8 --epochs 2 --out "$work/seg"
./build/lagm eval --model "$work/seg/segmenter-001.safetensors" --data "$work/val" --json "$work/eval.json" --grid "$work/eval.png"
echo "pipeline outputs in $work (grids: $work/runs/00000-smoke/grids)"
exit $status
