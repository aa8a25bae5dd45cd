#!/usr/bin/env bash
# Installs every Debian package lagm needs to build, test and run. Idempotent: packages that are
# already installed are skipped, so a second run makes no network access and takes a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev            # LibTorch 1.13 (CPU)
  libopenblas0-pthread    # fast BLAS for LibTorch (the reference BLAS is ~20x slower)
  libpng-dev libjpeg-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev
  libtinyxml2-dev         # VOC .xml annotations (prepare-pascal-part)
  libgloo-dev             # data-parallel runs (c10d over Gloo; LibTorch does not ship its headers)
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format            # the format check (scripts/check_format.sh, CTest entry lint.format)
  clang-tidy              # the static checks (scripts/check_tidy.py, CTest entry lint.tidy)
  clang libclang-rt-14-dev  # libFuzzer, ASan and UBSan for the fuzz targets (scripts/fuzz.sh)
  python3-torch python3-torchvision python3-numpy python3-pil python3-scipy  # tests and converters only (scipy writes .mat fixtures); never used at run time
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
