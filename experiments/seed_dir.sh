# Sourced by the experiment drivers that rerun part of a finished `lagm demo` seed folder.
# seed_dir_settings SEED_DIR: prints "SEED N STYLE", the demo seed, the labelled count and the
# labelled style, read from the folder's labelled set (its first seed is 1000 x the demo seed).
seed_dir_settings() {
  python3 - "$1/data/labelled/dataset.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["source"]
print(s["first_seed"] // 1000, s["count"], s["style"])
PY
}
