#!/usr/bin/env bash
# Carries mer's non-LibTorch dependencies to a machine without internet (the GPU machine of the device tool, where
# LibTorch comes with PyTorch's wheel) as Debian 12 .deb files, and builds mer there against them.
#
#   scripts/device-debs.sh fetch DIR        # here (Debian 12 with apt): download the .debs and their dependencies
#   scripts/device-debs.sh build DIR [BUILD] [cmake args...]
#                                           # there: unpack every .deb of DIR into DIR/root with dpkg -x (never into /),
#                                           # configure with the LibTorch bundled with python3's torch and DIR/root,
#                                           # build into BUILD (default build-device); prints the environment to run it.
#                                           # MER_TORCH_PREFIX overrides where LibTorch's cmake files are,
#                                           # MER_BUILD_TARGETS="a b" builds only those targets.
#
# The .debs: libsndfile1, libfftw3, libsoxr, CLI11, nlohmann-json, GoogleTest, pkg-config and everything they depend
# on except the C/C++ runtime every machine has (libc6, libstdc++6, libgcc-s1, gcc-12-base), plus cmake with its
# libraries when MER_DEVICE_WITH_CMAKE=1 (the device's Python image may lack it). `fetch` prints their total size:
# the device tool carries at most 64 MiB with the working tree.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage() { echo "usage: scripts/device-debs.sh fetch DIR | build DIR [BUILD] [cmake args...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
verb=$1 dir=$2
shift 2
packages=(libsndfile1-dev libfftw3-dev libsoxr-dev libcli11-dev nlohmann-json3-dev libgtest-dev pkg-config)
[ "${MER_DEVICE_WITH_CMAKE:-0}" = 1 ] && packages+=(cmake)
case "$verb" in
  fetch)
    mkdir -p "$dir"
    closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
                --no-enhances "${packages[@]}" | grep -v '^ ' | grep -v '^<' | sort -u |
              grep -vxE 'libc6|libstdc\+\+6|libgcc-s1|gcc-12-base|debconf|dpkg|perl-base|libcrypt1|zlib1g')
    (cd "$dir" && apt-get download $closure >/dev/null)
    echo "device-debs: $(ls "$dir"/*.deb | wc -l) packages, $(du -sh "$dir" | cut -f1) in $dir"
    ;;
  build)
    build=${1:-build-device}
    shift || true
    ls "$dir"/*.deb >/dev/null 2>&1 || { echo "device-debs: no .deb files in $dir" >&2; exit 1; }
    prefix=$(cd "$dir" && pwd)/root
    mkdir -p "$prefix"
    for f in "$dir"/*.deb; do dpkg -x "$f" "$prefix"; done
    export PATH="$prefix/usr/bin:$PATH"
    export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    # The .pc files say prefix=/usr: pkg-config prepends the sysroot to their -I and -L paths.
    export PKG_CONFIG_SYSROOT_DIR="$prefix"
    export PKG_CONFIG_LIBDIR="$prefix/usr/lib/x86_64-linux-gnu/pkgconfig:$prefix/usr/share/pkgconfig"
    for tool in cmake c++; do
      command -v "$tool" >/dev/null || { echo "device-debs: $tool not found (MER_DEVICE_WITH_CMAKE=1 fetches cmake)" >&2; exit 1; }
    done
    torch_prefix=${MER_TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr" "$@"
    targets=()
    for t in ${MER_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
    cmake --build "$build" -j "$(nproc)" "${targets[@]}"
    echo "device-debs: built $build; run with LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    ;;
  *) usage ;;
esac
