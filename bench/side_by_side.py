#!/usr/bin/env python3
"""lagm against the reference, side by side in one run: every configuration is timed by lagm
(exact, fast and, on the GM steps, low-memory mode; build/bench/bench_case) and by the reference's formulas in Debian's PyTorch
(bench/reference_case.py), taking turns (the order alternates every round), each measurement in its
own process with the same thread count. Prints the machine's measured peaks, then per
configuration the median seconds, the speed-up over the reference and lagm's FLOP rate against the
convolution peak, then the targets. The work is counted on the reference's operations; where lagm
skips some of them (the second-order terms phase A does not need) the rate is the reference's work
per lagm second, an upper bound of lagm's own.

    /usr/bin/python3 bench/side_by_side.py [--lagm build/bench/bench_case] [--rounds 3]
        [--threads N] [--quick] [--only TEXT] [--markdown FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (label, arguments shared by both programs, repetitions inside one process)
CASES = [
    ("GM step 64 px, U-Net, all matched", ["--case", "gm", "--res", "64", "--seg", "unet", "--match", "all"], 3),
    ("GM step 64 px, U-Net, up4+outc matched", ["--case", "gm", "--res", "64", "--seg", "unet", "--match", "u4"], 3),
    ("GM step 64 px, DeepLabv3-R101, head matched", ["--case", "gm", "--res", "64", "--seg", "deeplab", "--match", "head"], 3),
    ("GM step 128 px, U-Net, all matched", ["--case", "gm", "--res", "128", "--seg", "unet", "--match", "all"], 3),
    ("GM step 128 px, U-Net, up4+outc matched", ["--case", "gm", "--res", "128", "--seg", "unet", "--match", "u4"], 3),
    ("GM step 128 px, DeepLabv3-R101, head matched", ["--case", "gm", "--res", "128", "--seg", "deeplab", "--match", "head"], 3),
    # 256 px: one repetition (a reference step takes tens of seconds on 2 cores).
    ("GM step 256 px, U-Net, all matched", ["--case", "gm", "--res", "256", "--seg", "unet", "--match", "all"], 1),
    ("GM step 256 px, DeepLabv3-R101, head matched", ["--case", "gm", "--res", "256", "--seg", "deeplab", "--match", "head"], 1),
    ("synthesis, 1 image at 256 px (G + A)", ["--case", "synth", "--res", "256"], 5),
    ("downstream step, U-Net, batch 8 at 64 px", ["--case", "seg", "--res", "64"], 5),
    # 5 repetitions: style mixing is drawn per iteration, so single iterations vary.
    ("GAN training step, built-in 64-px config, batch 16", ["--case", "gan", "--res", "64"], 5),
]
QUICK = [0, 2, 8, 9, 10]  # the 64-px GM steps, synthesis, the downstream and the GAN step


def run_json(cmd):
    return run_measured(cmd)[0]


def run_measured(cmd):
    """The program's last JSON line and its peak resident memory in MiB: the kernel's count for this
    one process (start-up included; each measurement is its own process), which only the wait that
    reaps it reports."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: stdout into the pipe, stderr discarded, then the program
        os.dup2(write_end, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(read_end)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        out = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), cmd, out)
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024  # Linux: KiB


def low_memory_cells(med):
    """The low-memory columns of a row: its time (speed-up) and peak (ratio), or dashes."""
    if "low_memory" not in med:
        return "- | -"
    return (f"{med['low_memory']:.3f} ({med['reference'] / med['low_memory']:.2f}x) | "
            f"{med['low_memory_mib']:.0f} ({med['low_memory_mib'] / med['reference_mib']:.2f}x)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lagm", default=os.path.join(HERE, "..", "build", "bench", "bench_case"))
    p.add_argument("--python", default="/usr/bin/python3", help="the Python with Debian's torch")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--quick", action="store_true", help="5 configurations, 1 round")
    p.add_argument("--only", help="only the configurations whose label contains this text, e.g. 'GM'")
    p.add_argument("--markdown", help="also write the table to this file")
    a = p.parse_args()
    cases = [CASES[i] for i in QUICK] if a.quick else CASES
    cases = [c for c in cases if a.only is None or a.only in c[0]]
    rounds = 1 if a.quick else a.rounds
    threads = ["--threads", str(a.threads)]
    reference = [a.python, os.path.join(HERE, "reference_case.py")]

    peak = run_json([a.lagm, "--case", "peak"] + threads)
    print(f"{a.threads} threads; machine peaks measured now: fp32 GEMM {peak['gemm_gflops']:.0f} GFLOP/s, "
          f"fp32 3x3 convolution {peak['conv_gflops']:.0f} GFLOP/s, bf16 channels-last convolution "
          f"{peak['conv_bf16_gflops']:.0f} GFLOP/s", flush=True)
    rows = []
    start = time.time()
    for n, (label, args, reps) in enumerate(cases):
        flops = run_json(reference + args + ["--count-flops"])["flops"]
        r = ["--reps", str(reps)]
        programs = {"reference": reference + args + r + threads,
                    "exact": [a.lagm] + args + r + threads,
                    "bf16": [a.lagm] + args + r + threads + ["--precision", "bf16"]}
        if label.startswith("GM"):  # phase A without the double backward (low_memory)
            programs["low_memory"] = [a.lagm] + args + r + threads + ["--low-memory", "1"]
        times = {k: [] for k in programs}
        rss = {k: [] for k in programs}
        for i in range(rounds):
            order = list(programs) if i % 2 == 0 else list(reversed(programs))
            for k in order:
                result, peak_mib = run_measured(programs[k])
                times[k].append(result["seconds"])
                rss[k].append(peak_mib)
        med = {k: statistics.median(v) for k, v in times.items()}
        med.update({k + "_mib": max(v) for k, v in rss.items()})
        rows.append((label, flops, med))
        elapsed = time.time() - start
        eta = elapsed / (n + 1) * (len(cases) - n - 1)
        print(f"[{n + 1}/{len(cases)}] {label}: reference {med['reference']:.3f} s, lagm {med['exact']:.3f} s "
              f"({med['reference'] / med['exact']:.2f}x), bf16 {med['bf16']:.3f} s "
              f"({med['reference'] / med['bf16']:.2f}x); peak memory {med['reference_mib']:.0f} / "
              f"{med['exact_mib']:.0f} / {med['bf16_mib']:.0f} MiB"
              + (f"; low-memory {med['low_memory']:.3f} s, {med['low_memory_mib']:.0f} MiB" if "low_memory" in med else "")
              + f"  elapsed {elapsed:.0f} s, ETA {eta:.0f} s", flush=True)

    lines = [f"Side by side, {a.threads} threads, median of {rounds} round(s) taking turns; peaks measured in "
             f"the same run: fp32 GEMM {peak['gemm_gflops']:.0f}, fp32 convolution {peak['conv_gflops']:.0f}, "
             f"bf16 convolution {peak['conv_bf16_gflops']:.0f} GFLOP/s.",
             "",
             "| configuration | GFLOP | reference s | lagm exact s | speed-up | lagm bf16 s | speed-up | "
             "reference's GFLOP / lagm exact s (% of fp32 conv peak) | peak MiB: reference | lagm exact | "
             "lagm bf16 | lagm low-memory s | peak MiB: lagm low-memory |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, flops, med in rows:
        rate = flops / med["exact"] / 1e9
        lines.append(f"| {label} | {flops / 1e9:.1f} | {med['reference']:.3f} | {med['exact']:.3f} | "
                     f"{med['reference'] / med['exact']:.2f}x | {med['bf16']:.3f} | "
                     f"{med['reference'] / med['bf16']:.2f}x | {rate:.0f} ({100 * rate / peak['conv_gflops']:.0f} %) | "
                     f"{med['reference_mib']:.0f} | {med['exact_mib']:.0f} "
                     f"({med['exact_mib'] / med['reference_mib']:.2f}x) | {med['bf16_mib']:.0f} "
                     f"({med['bf16_mib'] / med['reference_mib']:.2f}x) | " + low_memory_cells(med) + " |")
    gm_rows = [(lbl, med, fl) for lbl, fl, med in rows if lbl.startswith("GM")]
    if gm_rows:
        worst_exact = min(m["reference"] / m["exact"] for _, m, _ in gm_rows)
        worst_fast = min(m["reference"] / m["bf16"] for _, m, _ in gm_rows)
        worst_rate = min(fl / m["exact"] / 1e9 for _, m, fl in gm_rows) / peak["conv_gflops"]
        worst_mem = max(m["exact_mib"] / m["reference_mib"] for _, m, _ in gm_rows)
        lines += ["",
                  f"Targets (GM steps): exact >= 1.5x on every configuration: lowest {worst_exact:.2f}x "
                  f"({'holds' if worst_exact >= 1.5 else 'misses'}); fast >= 2.5x: lowest {worst_fast:.2f}x "
                  f"({'holds' if worst_fast >= 2.5 else 'misses'}); FLOP rate >= 50 % of the convolution peak: "
                  f"lowest {100 * worst_rate:.0f} % ({'holds' if worst_rate >= 0.5 else 'misses'}); exact mode's "
                  f"peak memory <= 0.75x the reference's: highest {worst_mem:.2f}x "
                  f"({'holds' if worst_mem <= 0.75 else 'misses'}); low-memory mode's peak: highest "
                  f"{max(m['low_memory_mib'] / m['reference_mib'] for _, m, _ in gm_rows):.2f}x."]
    others = [(lbl, med) for lbl, _, med in rows if not lbl.startswith("GM")]
    if others:
        lines += ["", "Other configurations: " + "; ".join(
            f"{lbl.split(',')[0]} exact {m['reference'] / m['exact']:.2f}x, fast {m['reference'] / m['bf16']:.2f}x"
            for lbl, m in others) + "."]
    print("\n".join(lines))
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
