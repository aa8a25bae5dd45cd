#!/usr/bin/env python3
"""Runs clang-tidy with the repository's .clang-tidy on the C++ sources and exits 1 on any finding.

By default only the files whose include closure never reaches LibTorch (about a second each; needs no
build: the flags are the project's). A file that parses <torch/torch.h> costs clang-tidy ~40 s, nearly
all of it matching the checks over LibTorch's headers (a clang precompiled header saves only the
parse, ~10 %). So `--all` checks the build's own translation units from its compile_commands.json:
the unity batches of the library, CLI, tools, tests and benchmarks (8 files share one pass over
LibTorch's headers) and the files built alone (fuzz targets, the distributed back-end), with their
exact flags: every C++ file of the repository in ~30 min of CPU (~15 min on 2 cores) instead of
~90. `-j N` runs N at once (default: every core)."""
import argparse
import concurrent.futures
import os
import pathlib
import re
import json
import shlex
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


def light_sources() -> list:
    """The repository's .cpp files whose include closure never reaches LibTorch."""
    seen = {}
    files = sorted(p for folder in ("src", "apps", "tools") for p in (ROOT / folder).rglob("*.cpp"))
    return [p for p in files if not reaches_torch(p, seen)]


def tidy(binary: str, path: pathlib.Path) -> tuple:
    flags = ["-std=c++17", f"-I{ROOT / 'src'}", f"-I{ROOT / 'apps' / 'lagm'}",
             f"-I{ROOT / 'tools' / 'golden_check'}"]
    flags += [f"-isystem{d}" for d in TORCH_INCLUDES]
    run = subprocess.run([binary, "--quiet", str(path), "--"] + flags, capture_output=True, text=True)
    return path, run.returncode, run.stdout + run.stderr


def build_units(build: pathlib.Path) -> list:
    """(file, flags) of every translation unit the build compiles, its precompiled header left out
    (gcc's, which clang cannot read: the files must stand on their own includes anyway)."""
    database = build / "compile_commands.json"
    if not database.exists():
        raise SystemExit(f"check_tidy: {database} missing; configure the build first "
                         "(scripts/build.sh exports it)")
    units = []
    for entry in json.loads(database.read_text()):
        source = entry["file"]
        if source.endswith("cmake_pch.hxx.cxx"):
            continue
        words = shlex.split(entry["command"])[1:]
        flags, skip = [], False
        for i, word in enumerate(words):
            if skip:
                skip = False
            elif word in ("-o", "-include", "-isystem") and i + 1 < len(words) and (
                    word == "-o" or words[i + 1].endswith("cmake_pch.hxx")
                    or words[i + 1] == "/usr/include"):
                # /usr/include as an -isystem folder (Gloo's) breaks clang's #include_next chain
                # of the C++ headers; it is searched anyway.
                skip = True
            elif word not in ("-c", source, "-Winvalid-pch"):
                flags.append(word)
        units.append((pathlib.Path(source), flags))
    return units


def tidy_unit(binary: str, unit: tuple) -> tuple:
    path, flags = unit
    command = [binary, "--quiet", str(path)]
    if "/Unity/" in str(path):  # a unity batch includes .cpp files by design
        command.append("--checks=-bugprone-suspicious-include")
    run = subprocess.run(command + ["--"] + flags, capture_output=True, text=True)
    return path, run.returncode, run.stdout + run.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true",
                        help="every translation unit of the build, LibTorch users included")
    parser.add_argument("--build", default=str(ROOT / "build"), help="the build folder (--all)")
    parser.add_argument("-j", type=int, default=os.cpu_count() or 1, help="files at once")
    parser.add_argument("files", nargs="*", help="these files only (with --all: the build units that compile them)")
    args = parser.parse_args()
    binary = os.environ.get("CLANG_TIDY", "clang-tidy")
    if not shutil.which(binary):
        print(f"check_tidy: {binary} not found (scripts/setup.sh installs it)", file=sys.stderr)
        return 2
    if args.all:
        files = build_units(pathlib.Path(args.build))
        if args.files:  # the units that compile these files: their own, or the unity batch holding them
            wanted = [str(pathlib.Path(f).resolve()) for f in args.files]
            files = [u for u in files if str(u[0]) in wanted
                     or ("/Unity/" in str(u[0]) and any(w in u[0].read_text() for w in wanted))]
            if not files:
                print("check_tidy: no unit of the build compiles " + " ".join(args.files),
                      file=sys.stderr)
                return 2
        check = lambda unit: tidy_unit(binary, unit)
    else:
        files = [pathlib.Path(f).resolve() for f in args.files] or light_sources()
        check = lambda path: tidy(binary, path)
    failed = []
    with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
        for path, code, text in pool.map(check, files):
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
