#!/usr/bin/env python3
"""`lagm predict` against a PyTorch loop over the same network (`lagm export`, loaded by
tools/python/lagm_export.py; the loop is bench/reference_predict.py), on the same folder of PNG
images, with the same batch and threads, taking turns (the order alternates every round), each
in its own process. Whole commands, start-up included: seconds, images/s and peak resident memory
of each, lagm's speed-up, and how many mask pixels the two agree on.

    /usr/bin/python3 bench/predict_side_by_side.py MODEL IMAGES [--lagm build/lagm] [--batch 8]
        [--threads N] [--rounds 3]

MODEL is what predict takes (a train-seg checkpoint, run folder or demo arm folder); IMAGES a
folder of PNGs (e.g. `lagm render --domain faces --style photo --res 64 --num 1000 --out D`,
then D/img).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def run_measured(cmd):
    """Seconds and peak resident MiB of one whole command (its own process)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def agreement(lagm_masks, torch_masks):
    """Fraction of mask pixels on which the two outputs give the same class."""
    same = total = 0
    for name in sorted(os.listdir(torch_masks)):
        a = np.asarray(Image.open(os.path.join(lagm_masks, name)))
        b = np.asarray(Image.open(os.path.join(torch_masks, name)))
        same += int((a == b).sum())
        total += a.size
    return same / total


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("images")
    p.add_argument("--lagm", default=os.path.join(HERE, "..", "build", "lagm"))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    count = len([n for n in os.listdir(a.images) if n.lower().endswith(".png")])
    tmp = tempfile.mkdtemp()
    try:
        exported = os.path.join(tmp, "exported")
        subprocess.run([a.lagm, "export", "--model", a.model, "--out", exported], check=True,
                       stdout=subprocess.DEVNULL)
        programs = {
            "lagm predict": lambda out: [a.lagm, "predict", "--model", a.model, "--images", a.images,
                                         "--out", out, "--batch", str(a.batch), "--threads", str(a.threads)],
            "PyTorch loop": lambda out: [sys.executable, os.path.join(HERE, "reference_predict.py"), exported,
                                         a.images, out, "--batch", str(a.batch), "--threads", str(a.threads)],
        }
        seconds = {k: [] for k in programs}
        peak = {k: [] for k in programs}
        for r in range(a.rounds):
            for k in (programs if r % 2 == 0 else reversed(list(programs))):
                out = os.path.join(tmp, f"{k.split()[0]}-{r}")
                s, mib = run_measured(programs[k](out))
                seconds[k].append(s)
                peak[k].append(mib)
            print(f"round {r + 1}: lagm predict {seconds['lagm predict'][-1]:.2f} s, "
                  f"PyTorch loop {seconds['PyTorch loop'][-1]:.2f} s", flush=True)
        same = agreement(os.path.join(tmp, "lagm-0", "masks"), os.path.join(tmp, "PyTorch-0"))
    finally:
        shutil.rmtree(tmp)
    med = {k: statistics.median(v) for k, v in seconds.items()}
    print(f"\n{count} images of {a.images}, batch {a.batch}, {a.threads} threads, median of {a.rounds} rounds, "
          f"whole commands:")
    print("| program | seconds | images/s | peak MiB |\n|---|---:|---:|---:|")
    for k in programs:
        print(f"| {k} | {med[k]:.2f} | {count / med[k]:.0f} | {max(peak[k]):.0f} |")
    print(f"\nlagm predict: {med['PyTorch loop'] / med['lagm predict']:.2f}x the PyTorch loop's speed, "
          f"{max(peak['lagm predict']) / max(peak['PyTorch loop']):.2f}x its peak memory; masks agree on "
          f"{100 * same:.3f} % of the pixels.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
