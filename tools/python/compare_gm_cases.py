#!/usr/bin/env python3
"""Compares the outputs of two `lagm_gm_step` cases built from the same draw (e.g. make_gm_step_case.py
in float32 with 1 or 2 threads against --float64): per output group, the largest relative error,
max |a - b| / max(|b|.max(), tiny), and the tensor it comes from. Used to tell an ill-conditioned case
(the reference disagrees with itself) from an implementation bug.

Usage: compare_gm_cases.py CASE_DIR REFERENCE_CASE_DIR
"""
import sys

import torch

import lagm_safetensors


def group(name):
    parts = name.split(".")
    return f"iter {parts[1]} " + ("grad.A" if parts[2] == "grad" else
                                  "state." + parts[3] if parts[2] == "state" else "losses/labels")


def main():
    a = lagm_safetensors.load(sys.argv[1] + "/io.safetensors")[0]
    b = lagm_safetensors.load(sys.argv[2] + "/io.safetensors")[0]
    worst = {}
    for k, ref in b.items():
        if not k.startswith("out.") or not ref.is_floating_point():
            continue
        x, y = a[k].double(), ref.double()
        rel = ((x - y).abs().max() / y.abs().max().clamp_min(1e-30)).item()
        g = group(k)
        if rel > worst.get(g, (-1, ""))[0]:
            worst[g] = (rel, k)
    for g in sorted(worst):
        print(f"{g:28s} max rel {worst[g][0]:.2e}  ({worst[g][1]})")


if __name__ == "__main__":
    main()
