#!/usr/bin/env python3
"""Seconds per phase-I step of several (binary, pseudo-label weight) arms, alternating, same run.

Usage: bench/phase_one_side_by_side.py CONFIG.json REPS NAME=BINARY:WEIGHT [NAME=BINARY:WEIGHT ...]
CONFIG is a train-annotator config (e.g. a demo run's gradient_matching/annotator/*/config.json);
each arm trains 160 steps with 2 threads and reports the median seconds per step of its ticks
(the first tick, which pays start-up, left out); the arms take turns REPS times. Prints each arm's
median and its ratio to the first arm.
"""
import json, os, shutil, statistics, subprocess, sys, tempfile

config_path, reps, arms = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
base = json.load(open(config_path))
base.update(total_iters=160, niter_per_tick=20, snapshot_ticks=1000, validation_set={"path": ""})
times = {}
work = tempfile.mkdtemp()
for rep in range(reps):
    for arm in arms:
        name, spec = arm.split("=", 1)
        binary, weight = spec.rsplit(":", 1)
        cfg = dict(base, pseudo_label_weight=float(weight), run_name="t")
        if float(weight) == 0:
            cfg["pseudo_labeller"] = ""
        cfg_file, out = os.path.join(work, "c.json"), os.path.join(work, "out")
        json.dump(cfg, open(cfg_file, "w"))
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([binary, "train-annotator", "--threads", "2", "--config", cfg_file, "--runs", out],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stats = os.path.join(out, os.listdir(out)[0], "stats.jsonl")
        ticks = [json.loads(line)["sec_per_iter"] for line in open(stats)][1:]
        times.setdefault(name, []).append(statistics.median(ticks))
        print(f"rep {rep} {name}: {times[name][-1]:.4f} s/step", flush=True)
shutil.rmtree(work)
first = statistics.median(times[arms[0].split("=", 1)[0]])
for name, t in times.items():
    print(f"{name:30s} {statistics.median(t):.4f} s/step  ratio {statistics.median(t) / first:.3f}")
