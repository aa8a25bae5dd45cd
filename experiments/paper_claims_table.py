#!/usr/bin/env python3
"""The table of docs/paper_claims.md from a `lagm demo --seeds` run folder: per arm, each seed's
annotator quality (FG-mIoU of its labels against the oracle's on generated images, where the arm has an
annotator) and test FG-mIoU and mIoU, then their mean and standard deviation over the seeds present.

Usage: experiments/paper_claims_table.py RUN_DIR [RUN_DIR...] (seed-S/results.json inside; the seeds of
several folders are pooled, e.g. a seed run apart in a folder of its own)
       experiments/paper_claims_table.py --compact COLUMN:ROWS:DIR[,DIR...] ...
The compact form: one table, a pair of columns (test FG-mIoU, annotator vs oracle; mean ± std over the
seeds) per COLUMN (e.g. "N = 2"), the rows of every ROWS group (e.g. "figure2", or "table1", whose
rows are named for the Table 1 protocol and leave out the oracle, the same network in every group).
"""
import glob
import json
import os
import statistics
import sys

NAMES = {"gradient_matching": "gradient matching (with its levers)",
         "matching_alone": "gradient matching alone (no pull)", "supervised": "supervised (FPN)",
         "datasetgan": "DatasetGAN (MLP ensemble)", "pseudo_label": "pseudo-labelling",
         "few_label": "U-Net on the N labels", "oracle": "oracle (2000 labelled photos)",
         "mean_teacher": "mean teacher", "adversarial_ssl": "adversarial semi-supervised",
         "oracle_pseudo_label": "route ceiling (the oracle labels generated images)"}
SYNTHETIC_ONLY = "_synthetic_only"
# Rows in the order of the paper's comparisons: the baselines without a generator, then the synthetic
# routes, then the ceilings; an arm's synthesized-set-alone row follows it.
ORDER = ["few_label", "mean_teacher", "adversarial_ssl", "pseudo_label", "matching_alone",
         "gradient_matching", "supervised", "datasetgan", "oracle_pseudo_label", "oracle"]


def rank(arm):
    base = arm[:-len(SYNTHETIC_ONLY)] if arm.endswith(SYNTHETIC_ONLY) else arm
    return (ORDER.index(base) if base in ORDER else len(ORDER), base, arm != base)


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


def seed_of(path):
    return int(path.split("seed-")[-1].split(os.sep)[0])


def load(runs):
    """(seeds, results) of the folders' seeds, pooled; None if a seed appears twice."""
    paths = sorted((p for run in runs for p in glob.glob(os.path.join(run, "seed-*", "results.json"))),
                   key=seed_of)
    seeds = [seed_of(p) for p in paths]
    if len(set(seeds)) != len(seeds):
        print(f"paper_claims_table: a seed appears in more than one folder: {seeds}", file=sys.stderr)
        return None
    return seeds, [json.load(open(p)) for p in paths]


def mean_std(values):
    if not values:
        return ""
    if len(values) == 1:
        return f"{100 * values[0]:.1f}"
    return f"{100 * statistics.mean(values):.1f} ± {100 * statistics.stdev(values):.1f}"


def compact(specs):
    columns, groups, cells = [], [], {}
    for spec in specs:
        column, rows, dirs = spec.split(":", 2)
        loaded = load(dirs.split(","))
        if loaded is None:
            return 2
        seeds, results = loaded
        columns += [] if column in columns else [column]
        groups += [] if rows in groups else [rows]
        for arm in {a for r in results for a in r["methods"]}:
            if rows == "table1" and arm == "oracle":
                continue
            got = [r["methods"][arm] for r in results if arm in r["methods"]]
            quality = [m["annotator_quality"]["vs_oracle"]["fg_mIoU"] for m in got
                       if "annotator_quality" in m]
            cells[(rows, arm, column)] = (mean_std([m["fg_mIoU"] for m in got]), mean_std(quality),
                                          len(got))
    print("| arm | " + " | ".join(f"{c}: test FG-mIoU | {c}: annotator vs oracle" for c in columns) + " |")
    print("|---|" + "---|---|" * len(columns))
    for rows in groups:
        for arm in sorted({a for (g, a, _) in cells if g == rows}, key=rank):
            title = name(arm) + (", Table 1 protocol (labels on generated images)" if rows == "table1" else "")
            line = []
            for c in columns:
                test, quality, n = cells.get((rows, arm, c), ("", "", 0))
                line += [test + (f" ({n} seeds)" if test and n != 4 else ""), quality]
            print(f"| {title} | " + " | ".join(line) + " |")
    return 0


def main(runs):
    loaded = load(runs)
    if loaded is None:
        return 2
    seeds, results = loaded
    print(f"Seeds {', '.join(map(str, seeds))}; each cell: mean ± std (per seed).\n")
    print("| arm | annotator vs oracle, FG-mIoU | test FG-mIoU | test mIoU |")
    print("|---|---|---|---|")
    for arm in sorted({a for r in results for a in r["methods"]}, key=rank):
        rows = [r["methods"][arm] for r in results if arm in r["methods"]]
        missing = [str(s) for s, r in zip(seeds, results) if arm not in r["methods"]]
        quality = [m["annotator_quality"]["vs_oracle"]["fg_mIoU"] for m in rows if "annotator_quality" in m]
        title = name(arm) + (f" (not on seed {', '.join(missing)})" if missing else "")
        print(f"| {title} | {cell(quality)} | {cell([m['fg_mIoU'] for m in rows])} | "
              f"{cell([m['mIoU'] for m in rows])} |")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if sys.argv[1] == "--compact":
        sys.exit(compact(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
