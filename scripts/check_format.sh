#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by clang-format with the repository's .clang-format
# (Google style, 100 columns). Lists the files that are not and exits 1; `scripts/check_format.sh --fix`
# rewrites them in place. clang-format's output differs between major versions, so the check runs the
# version that scripts/setup.sh installs (Debian's clang-format, 14 on bookworm) and says which it ran.
set -euo pipefail
cd "$(dirname "$0")/.."
formatter=${CLANG_FORMAT:-clang-format}
if ! command -v "$formatter" > /dev/null; then
  echo "check_format: $formatter not found (scripts/setup.sh installs it)" >&2
  exit 2
fi
# Tracked files and new ones not yet added (ignored ones left out).
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.h' 2>/dev/null || find apps bench fuzz src tests tools -name '*.cpp' -o -name '*.h')
if [ "${1:-}" = "--fix" ]; then
  "$formatter" -i "${files[@]}"
  exit 0
fi
unformatted=()
for f in "${files[@]}"; do
  if ! "$formatter" --dry-run --Werror "$f" > /dev/null 2>&1; then unformatted+=("$f"); fi
done
version=$("$formatter" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "check_format: ${#unformatted[@]} of ${#files[@]} files are not formatted (clang-format $version):" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "check_format: run scripts/check_format.sh --fix" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted (clang-format $version)"
