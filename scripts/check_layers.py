#!/usr/bin/env python3
"""Checks the library's layering: a file in src/lagm/<layer>/ includes headers of its own layer or
of a lower tier only, never of a peer in its tier or of a higher one. Prints each include that
breaks the rule (file:line) and exits 1; exits 0 with a one-line summary when there is none.
The tiers, from the bottom up, are the architecture; a new layer must be placed here."""
import pathlib
import re
import sys

TIERS = [
    ["core"],
    ["io", "nn"],
    ["models"],
    ["data", "toy"],
    ["eval"],
    ["train"],
    ["annotator", "gan"],
    ["matching", "baselines", "downstream", "predict"],
    ["synth"],
    ["demo"],
]
TIER_OF = {layer: i for i, tier in enumerate(TIERS) for layer in tier}
INCLUDE = re.compile(r'^\s*#\s*include\s+"lagm/([A-Za-z0-9_]+)/')


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent / "src" / "lagm"
    problems, files = [], 0
    for layer_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        layer = layer_dir.name
        if layer not in TIER_OF:
            problems.append(f"{layer_dir}: layer '{layer}' has no tier in scripts/check_layers.py")
            continue
        for path in sorted(layer_dir.rglob("*")):
            if path.suffix not in (".h", ".cpp"):
                continue
            files += 1
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m or m.group(1) == layer:
                    continue
                used = m.group(1)
                if used not in TIER_OF:
                    problems.append(f"{path}:{number}: includes unknown layer '{used}'")
                elif TIER_OF[used] >= TIER_OF[layer]:
                    kind = "a peer" if TIER_OF[used] == TIER_OF[layer] else "a higher"
                    problems.append(f"{path}:{number}: {layer} includes {kind} layer, {used}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"check_layers: {len(problems)} include(s) break the layering", file=sys.stderr)
        return 1
    order = " -> ".join("/".join(t) for t in TIERS)
    print(f"check_layers: {files} files follow {order}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
