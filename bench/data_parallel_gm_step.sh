#!/usr/bin/env bash
# Phase I (train-annotator): 1 process x 2 threads against 2 processes x 1 thread (lagm launch), the
# latter with synchronized BatchNorm (exact, the default) and with per-process statistics
# (sync_batch_norm false); the same run configuration, global batches and iterations, taking turns
# REPS times. Prints each run's seconds per iteration (its own log, start-up left out), the median
# ratios, and the bytes all-reduced per iteration (from the run's snapshot).
# Usage: bench/data_parallel_gm_step.sh LAGM CONFIG [REPS] [ITERS] [BATCH]
#   CONFIG: a train-annotator config (e.g. a demo run's config.json); its validation set, snapshots
#   and grids are left out so that the runs time the gradient-matching steps and start-up only.
set -euo pipefail
lagm=$1 config=$2 reps=${3:-2} iters=${4:-60} batch=${5:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$config" "$work/run.json" "$iters" "$batch" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(total_iters=int(sys.argv[3]), batch=int(sys.argv[4]), label_batch=int(sys.argv[4]),
         niter_per_tick=int(sys.argv[3]), snapshot_ticks=1, grid_size=1, run_name="bench")
c.pop("validation_set", None)
json.dump(c, open(sys.argv[2], "w"))
c["sync_batch_norm"] = False
json.dump(c, open(sys.argv[2].replace(".json", "_local.json"), "w"))
PY
# Seconds per iteration of a run: its one tick line in stats.jsonl.
per_iter() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])['sec_per_iter'])" "$(ls "$1"/*/stats.jsonl)"; }
one=() two=() perproc=()
for rep in $(seq "$reps"); do
  rm -rf "$work/one" "$work/two" "$work/local"
  "$lagm" train-annotator --config "$work/run.json" --threads 2 --runs "$work/one" > /dev/null 2>&1
  one+=("$(per_iter "$work/one")")
  "$lagm" launch --nproc 2 --master-port $((25000 + rep)) -- "$lagm" train-annotator \
    --config "$work/run.json" --threads 1 --runs "$work/two" > /dev/null 2>&1
  two+=("$(per_iter "$work/two")")
  "$lagm" launch --nproc 2 --master-port $((25100 + rep)) -- "$lagm" train-annotator \
    --config "$work/run_local.json" --threads 1 --runs "$work/local" > /dev/null 2>&1
  perproc+=("$(per_iter "$work/local")")
  echo "rep $rep: s/iter 1 process x 2 threads ${one[-1]}, 2 x 1 synchronized BN ${two[-1]}," \
    "2 x 1 per-process BN ${perproc[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m1=$(median "${one[@]}") m2=$(median "${two[@]}") m3=$(median "${perproc[@]}")
echo "median s/iter over $iters iterations, batch $batch: 1x2 ${m1}, 2x1 synchronized ${m2}" \
  "($(echo "scale=3; $m2 / $m1" | bc)x), 2x1 per-process ${m3} ($(echo "scale=3; $m3 / $m1" | bc)x)"
# Bytes all-reduced per iteration: A's and S's gradients, the target and synthetic gradients of the
# matched parameters (float32), and the BatchNorm sums (2C + 1 floats per layer and pass).
python3 - "$(ls "$work"/one/*/snapshots/*.safetensors | tail -1)" <<'PY'
import json, re, struct, sys
raw = open(sys.argv[1], "rb").read()
header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
meta = json.loads(header["__metadata__"]["lagm"])["config"]
def numel(name):
    n = 1
    for d in header[name]["shape"]:
        n *= d
    return n
names = [k for k in header if k != "__metadata__" and header[k]["dtype"] == "F32"
         and not re.search(r"running_(mean|var)$", k)]
a = sum(numel(k) for k in names if k.startswith("A."))
s = sum(numel(k) for k in names if k.startswith("S."))
regex = re.compile(meta["run"]["gm_params"])
gm = sum(numel(k) for k in names if k.startswith("S.") and regex.fullmatch(k[2:]))
bn_s = sum(numel(k) for k in header if k.startswith("S.") and k.endswith("running_mean"))
bn_a = sum(numel(k) for k in header if k.startswith("A.") and k.endswith("running_mean"))
layers_s = sum(1 for k in header if k.startswith("S.") and k.endswith("running_mean"))
layers_a = sum(1 for k in header if k.startswith("A.") and k.endswith("running_mean"))
# S's BatchNorm: 3 forward passes (labelled, synthetic in phase A, synthetic in phase S), each with a
# backward sum; A's: one forward and backward (phase A; phase S runs A in eval mode).
bn_floats = 3 * 2 * (2 * bn_s + layers_s) + 2 * (2 * bn_a + layers_a)
grads = a + s + 2 * gm
print(f"all-reduced per iteration: gradients {grads} floats ({4 * grads / 1e6:.2f} MB: A {a}, S {s}, "
      f"matched 2 x {gm}), BatchNorm sums {bn_floats} floats ({4 * bn_floats / 1e3:.1f} kB), "
      f"5 loss values")
PY
