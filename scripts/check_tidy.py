#!/usr/bin/env python3
"""Runs clang-tidy with the repository's .clang-tidy on the C++ sources and exits 1 on any finding.

By default only the files whose include closure never reaches LibTorch (about a second each): a file
that parses <torch/torch.h> costs clang-tidy ~30 s, since clang cannot use gcc's precompiled header,
which is too slow for every CTest run on 2 cores. `--all` checks every file (library, CLI, tools);
`-j N` runs N at once (default: every core). Needs no build: the flags are the project's
(C++17, src/ and LibTorch's include folders)."""
import argparse
import concurrent.futures
import os
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^>"]+)[>"]', re.M)
TORCH = ("torch/", "ATen/", "c10/")
TORCH_INCLUDES = ["/usr/include/torch/csrc/api/include", "/usr/include/torch"]


def includes(path: pathlib.Path) -> list:
    return INCLUDE.findall(path.read_text(errors="replace"))


def reaches_torch(path: pathlib.Path, seen: dict) -> bool:
    if path in seen:
        return seen[path]
    seen[path] = False  # a cycle adds nothing
    result = False
    for inc in includes(path):
        if inc.startswith(TORCH):
            result = True
            break
        local = ROOT / "src" / inc
        if inc.startswith("lagm/") and local.exists() and reaches_torch(local, seen):
            result = True
            break
    seen[path] = result
    return result


def sources(check_all: bool) -> list:
    seen = {}
    files = sorted(p for folder in ("src", "apps", "tools") for p in (ROOT / folder).rglob("*.cpp"))
    return [p for p in files if check_all or not reaches_torch(p, seen)]


def tidy(binary: str, path: pathlib.Path) -> tuple:
    flags = ["-std=c++17", f"-I{ROOT / 'src'}", f"-I{ROOT / 'apps' / 'lagm'}",
             f"-I{ROOT / 'tools' / 'golden_check'}"]
    flags += [f"-isystem{d}" for d in TORCH_INCLUDES]
    run = subprocess.run([binary, "--quiet", str(path), "--"] + flags, capture_output=True, text=True)
    return path, run.returncode, run.stdout + run.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every file, LibTorch users included")
    parser.add_argument("-j", type=int, default=os.cpu_count() or 1, help="files at once")
    parser.add_argument("files", nargs="*", help="these files only")
    args = parser.parse_args()
    binary = os.environ.get("CLANG_TIDY", "clang-tidy")
    if not shutil.which(binary):
        print(f"check_tidy: {binary} not found (scripts/setup.sh installs it)", file=sys.stderr)
        return 2
    files = [pathlib.Path(f).resolve() for f in args.files] or sources(args.all)
    failed = []
    with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
        for path, code, text in pool.map(lambda p: tidy(binary, p), files):
            if code != 0:
                failed.append(path)
                print(text.strip(), file=sys.stderr)
    if failed:
        print(f"check_tidy: findings in {len(failed)} of {len(files)} files", file=sys.stderr)
        return 1
    print(f"check_tidy: {len(files)} files clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
