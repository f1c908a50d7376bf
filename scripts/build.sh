#!/usr/bin/env bash
# Configures and builds mer in Release into ${MER_BUILD_DIR:-build} against the LibTorch of the project's virtual
# environment ${MER_VENV:-.venv} (scripts/install-deps.sh: PyPI's torch 2.11.0), found through
# torch.utils.cmake_prefix_path. Extra arguments go to cmake's configure step; -DCMAKE_PREFIX_PATH=/opt/libtorch
# builds against another LibTorch instead. MER_BUILD_TARGETS="a b" builds only those targets.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
venv=${MER_VENV:-$root/.venv}
torch_args=()
if [[ " $* " != *" -DCMAKE_PREFIX_PATH="* && -x "$venv/bin/python" ]]; then
  torch_args=(-DCMAKE_PREFIX_PATH="$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
              -DMER_PYTHON="$venv/bin/python")
fi
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "${torch_args[@]}" "$@" >/dev/null
targets=()
for t in ${MER_BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
