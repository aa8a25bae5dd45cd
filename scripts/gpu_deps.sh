#!/usr/bin/env bash
# Prepares gpu-deps/: the small libraries and headers lagm builds with, as Debian 12 packages unpacked
# into a folder that travels with the working tree to a machine that has CUDA and PyTorch's LibTorch
# but no Debian packages (scripts/gpu_check.sh uses it there). Run here, where apt reaches Debian.
# Usage: scripts/gpu_deps.sh [DIR]  (default gpu-deps; ignored by git)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-gpu-deps}
packages=(
  nlohmann-json3-dev libcli11-dev                 # header-only
  libtinyxml2-dev libtinyxml2-9
  libpng-dev libpng16-16 libjpeg62-turbo-dev libjpeg62-turbo zlib1g-dev zlib1g
  libgtest-dev libgmock-dev                       # static libraries with CMake packages
)
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
(cd "$dir/debs" && apt-get download "${packages[@]}" > /dev/null 2>&1) \
  || { echo "gpu_deps: apt-get download failed (is Debian's archive reachable?)" >&2; exit 1; }
for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
rm -rf "$dir/debs" "$dir/root/usr/share/doc" "$dir/root/usr/share/man" "$dir/root/usr/src" "$dir/root/usr/bin"
# Absolute links (libz.so -> /lib/x86_64-linux-gnu/libz.so.1...) must point inside the folder.
root=$(cd "$dir/root" && pwd)
while IFS= read -r link; do
  target=$(readlink "$link")
  case "$target" in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$root$target")" "$link" ;;
  esac
done < <(find "$dir/root" -type l)
# Debian 12 is merged-/usr: /lib is /usr/lib. Keep one copy.
if [ -d "$dir/root/lib" ]; then
  cp -a "$dir/root/lib/." "$dir/root/usr/lib/" && rm -rf "$dir/root/lib"
  while IFS= read -r link; do
    [ -e "$link" ] || ln -sfn "$(basename "$(readlink "$link")")" "$link"
  done < <(find "$dir/root/usr/lib" -type l)
fi
printf '%s\n' "${packages[@]}" > "$dir/PACKAGES"
echo "gpu_deps: $(du -sh "$dir" | cut -f1) in $dir ($(wc -l < "$dir/PACKAGES") Debian packages)"
