#!/usr/bin/env bash
# Every check lagm needs from a CUDA machine, in one run (a machine with CUDA, CMake, ninja and a
# PyTorch whose package ships LibTorch, but no Debian packages: the libraries lagm builds with come
# from gpu-deps/, made here by scripts/gpu_deps.sh and carried along).
#   1. configure and build lagm against that PyTorch's LibTorch;
#   2. the golden cases on the device (golden_check: the CPU tolerances);
#   3. train-annotator killed with SIGKILL and resumed: its last snapshot against an uninterrupted run's;
#   4. synthesize twice: byte-identical data sets;
#   5. lagm demo --quick on the device;
#   6. bench_gm_step at 64/128/256 px against the same PyTorch's Python loop on the same device.
# Everything printed also lands in OUT (default $OUT, else gpu-check-out): gpu_check.log, summary.md.
# The exit status is the number of failed checks. The CPU half runs anywhere:
#   PYTHON=/usr/bin/python3 scripts/gpu_check.sh --device cpu --build-dir build --skip-build --res 64
# Usage: scripts/gpu_check.sh [--device cuda] [--build-dir DIR] [--deps DIR] [--skip-build] [--res LIST]
# PYTHON names the Python whose torch is used (default python3; here: PYTHON=/usr/bin/python3).
set -uo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3} device=cuda build=build-gpu deps=gpu-deps skip_build=0 res=64,128,256
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --deps) deps=$2; shift 2 ;;
    --skip-build) skip_build=1; shift ;;
    --res) res=$2; shift 2 ;;
    *) echo "gpu_check: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${OUT:-gpu-check-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
log="$out/gpu_check.log" summary="$out/summary.md"
work=$(mktemp -d "${TMPDIR:-/tmp}/lagm-gpu-check.XXXXXX")
: > "$log"
printf '# gpu_check (%s, device %s)\n\n| check | result | seconds |\n|---|---|---:|\n' "$(date -u +%FT%TZ)" "$device" > "$summary"
failed=0

say() { echo "$*" | tee -a "$log"; }
# check NAME COMMAND...: runs COMMAND with its output in the log and one summary row.
check() {
  local name=$1; shift
  say "== $name"
  local t0=$SECONDS
  if "$@" >> "$log" 2>&1; then
    printf '| %s | pass | %d |\n' "$name" $((SECONDS - t0)) >> "$summary"; say "   pass"
  else
    printf '| %s | **FAIL** | %d |\n' "$name" $((SECONDS - t0)) >> "$summary"; say "   FAIL (see gpu_check.log)"
    failed=$((failed + 1))
  fi
}

say "machine: $(uname -m), $(nproc) cores; $(command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader)"
say "python: $("$python" -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1)"
say "cmake: $(cmake --version | head -1)"

if [ -d "$deps/root/usr" ]; then
  export LD_LIBRARY_PATH="$PWD/$deps/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

configure_and_build() {
  local prefix
  prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)') || return 1
  [ -d "$deps/root/usr" ] && prefix="$PWD/$deps/root/usr;$prefix"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAGM_BUILD_TESTS=OFF \
        "-DCMAKE_PREFIX_PATH=$prefix" || return 1
  ninja -C "$build" lagm_cli golden_check bench_gm_step
}
if [ "$skip_build" = 0 ]; then
  check "build against $("$python" -c 'import torch; print("LibTorch", torch.__version__)' 2>/dev/null)" configure_and_build
fi
lagm="$build/lagm"
if [ ! -x "$lagm" ]; then
  say "gpu_check: $lagm was not built; nothing else can run"
  exit 1
fi

golden() {  # every folder with a case.json is a case (manifests/ is not)
  local cases=()
  for d in tests/golden/reference/*/; do [ -f "$d/case.json" ] && cases+=("$d"); done
  "$build/golden_check" --device "$device" "${cases[@]}"
}
check "golden cases on $device" golden

# A small phase-I run on the shipped generator and 4 labelled renders.
"$lagm" render --num 4 --seed 0 --out "$work/labelled" > /dev/null 2>&1
cat > "$work/run.json" <<JSON
{"generator": "$PWD/models/faces64.safetensors", "training_set": {"path": "$work/labelled"},
 "segmenter": {"arch": "unet", "base_channels": 16}, "annotator": {"arch": "fpn", "tmp_channels": 32},
 "gm_params": "up4.*|outc.*", "annotator_optimizer": {"kind": "adam", "lr": 0.001},
 "segmenter_optimizer": {"kind": "adam", "lr": 0.0003}, "class_balance_power": 1.0, "batch": 2,
 "total_iters": 60, "niter_per_tick": 10, "snapshot_ticks": 2, "seed": 0, "run_name": "t"}
JSON
same_tensors() {  # the tensors of two safetensors files, byte for byte (metadata aside)
  "$python" - "$1" "$2" <<'PY'
import json, struct, sys
def tensors(path):
    b = open(path, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n]); h.pop("__metadata__", None); data = b[8 + n:]
    return {k: data[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in h.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
diff = sorted(k for k in a if a[k] != b.get(k)) + sorted(set(b) - set(a))
print("identical" if not diff else f"{len(diff)} tensors differ, e.g. {diff[:5]}")
sys.exit(1 if diff else 0)
PY
}
kill_and_resume() {
  "$lagm" train-annotator --device "$device" --config "$work/run.json" --runs "$work/full" || return 1
  "$lagm" train-annotator --device "$device" --config "$work/run.json" --runs "$work/killed" &
  local pid=$! run="$work/killed/00000-t"
  for _ in $(seq 600); do [ -f "$run/snapshots/000020.safetensors" ] && break; sleep 0.1; done
  kill -9 $pid; wait $pid 2>/dev/null
  [ -f "$run/snapshots/000060.safetensors" ] && { echo "finished before the kill"; return 1; }
  "$lagm" train-annotator --device "$device" --resume "$run" || return 1
  same_tensors "$work/full/00000-t/snapshots/000060.safetensors" "$run/snapshots/000060.safetensors"
}
check "train-annotator killed and resumed = uninterrupted" kill_and_resume

synthesize_twice() {
  for k in 1 2; do
    "$lagm" synthesize --device "$device" --run "$work/full/00000-t" --num 16 --calibrate-priors --out "$work/syn$k" || return 1
  done
  diff -r "$work/syn1/img" "$work/syn2/img" && diff -r "$work/syn1/seg" "$work/syn2/seg" && echo "byte-identical"
}
check "synthesize twice: byte-identical" synthesize_twice

demo_quick() { "$lagm" demo --quick --device "$device" --out "$work/demo" && cp "$work/demo/report.md" "$out/demo_quick_report.md"; }
check "lagm demo --quick --device $device" demo_quick

bench() {
  say "-- lagm (bench_gm_step)"; "$build/bench/bench_gm_step" --device "$device" --res "$res" | tee "$out/bench_gm_step.txt"
  say "-- PyTorch (bench/reference_gm_step.py)"; "$python" bench/reference_gm_step.py --device "$device" --res "$res" | tee "$out/reference_gm_step.txt"
}
check "GM step timing, lagm and PyTorch ($res px)" bench

cat "$summary" | tee -a "$log"
rm -rf "$work"
exit $failed
