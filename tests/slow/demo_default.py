#!/usr/bin/env python3
"""The default `lagm demo` (N = 10, seed 0, full budgets; 10-25 minutes on 2 cores), checked for
what docs/demo.md reports of it. Labelled `slow`: CI skips it; run it with `ctest -L slow`.

Checked: gradient matching labels every part of the test photos (IoU above 2 % for each class); its
FG-mIoU is at least pseudo-labelling's less 2 points (measured with phase A pulled towards the
few-label U-Net's labels, the default since the seventh round of docs/method_levers.md: at one thread ahead on seeds
0, 1 and 3 by 1.6, 2.2 and 0.5 and behind on seed 2 by 0.3; the 2 points allow for another thread
count's summation order, which moved single rows by up to 2.4 points in the sixth round); the oracle
beats every few-label arm.
Usage: demo_default.py LAGM WORK_DIR
"""
import json
import shutil
import subprocess
import sys

lagm, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
subprocess.run([lagm, "demo", "--out", work], check=True, stdout=subprocess.DEVNULL)
results = json.load(open(f"{work}/results.json"))
methods, classes = results["methods"], results["class_names"]
fg = {arm: m["fg_mIoU"] for arm, m in methods.items()}
print("FG-mIoU:", {arm: round(100 * v, 1) for arm, v in fg.items()})

failures = []
for name, iou in zip(classes, methods["gradient_matching"]["per_class"]):
    if not iou > 0.02:
        failures.append(f"gradient matching: {name} IoU {100 * iou:.1f} % (every part must be found)")
if fg["gradient_matching"] < fg["pseudo_label"] - 0.02:
    failures.append(f"gradient matching FG-mIoU {fg['gradient_matching']:.3f} is more than 2 points "
                    f"below pseudo-labelling's {fg['pseudo_label']:.3f}")
for arm in ("gradient_matching", "pseudo_label", "few_label"):
    if not fg["oracle"] > fg[arm]:
        failures.append(f"the oracle ({fg['oracle']:.3f}) does not beat {arm} ({fg[arm]:.3f})")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
