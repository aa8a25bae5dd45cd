#!/usr/bin/env python3
"""The table of docs/paper_claims.md from a `lagm demo --seeds` run folder: per arm, each seed's
annotator quality (FG-mIoU of its labels against the oracle's on generated images, where the arm has an
annotator) and test FG-mIoU and mIoU, then their mean and standard deviation over the seeds present.

Usage: experiments/paper_claims_table.py RUN_DIR (seed-S/results.json inside)
"""
import glob
import json
import os
import statistics
import sys

NAMES = {"gradient_matching": "gradient matching", "supervised": "supervised (FPN)",
         "datasetgan": "DatasetGAN (MLP ensemble)", "pseudo_label": "pseudo-labelling",
         "few_label": "U-Net on the N labels", "oracle": "oracle (2000 labelled photos)",
         "mean_teacher": "mean teacher", "adversarial_ssl": "adversarial semi-supervised",
         "oracle_pseudo_label": "route ceiling (the oracle labels generated images)"}
SYNTHETIC_ONLY = "_synthetic_only"


def name(arm):
    """The arm's row title; an arm's U-Net trained on its synthesized set alone is its own row."""
    if arm.endswith(SYNTHETIC_ONLY):
        return name(arm[:-len(SYNTHETIC_ONLY)]) + ", synthesized set alone (the paper's protocol)"
    return NAMES.get(arm, arm)


def cell(values):
    if not values:
        return ""
    per_seed = " / ".join(f"{100 * v:.1f}" for v in values)
    if len(values) == 1:
        return per_seed
    return f"{100 * statistics.mean(values):.1f} ± {100 * statistics.stdev(values):.1f} ({per_seed})"


def main(run):
    paths = sorted(glob.glob(os.path.join(run, "seed-*", "results.json")),
                   key=lambda p: int(p.split("seed-")[-1].split(os.sep)[0]))
    results = [json.load(open(p)) for p in paths]
    seeds = [p.split("seed-")[-1].split(os.sep)[0] for p in paths]
    print(f"Seeds {', '.join(seeds)}; each cell: mean ± std (per seed).\n")
    print("| arm | annotator vs oracle, FG-mIoU | test FG-mIoU | test mIoU |")
    print("|---|---|---|---|")
    for arm in results[0]["methods"]:
        rows = [r["methods"][arm] for r in results if arm in r["methods"]]
        quality = [m["annotator_quality"]["vs_oracle"]["fg_mIoU"] for m in rows if "annotator_quality" in m]
        print(f"| {name(arm)} | {cell(quality)} | {cell([m['fg_mIoU'] for m in rows])} | "
              f"{cell([m['mIoU'] for m in rows])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
