#!/usr/bin/env bash
# Configures and builds mer in Release into ${MER_BUILD_DIR:-build}. Extra arguments go to cmake's configure step,
# e.g. scripts/build.sh -DCMAKE_PREFIX_PATH=/opt/libtorch for an official LibTorch. MER_BUILD_TARGETS="a b"
# builds only those targets.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
targets=()
for t in ${MER_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
