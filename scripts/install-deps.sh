#!/usr/bin/env bash
# Installs mer's build and test dependencies on Debian 12: the C/C++ libraries from Debian's archive and LibTorch as
# PyTorch's own wheel from PyPI (torch 2.11.0, its CUDA 13 build: one build runs on the CPU and on CUDA GPUs, the same
# LibTorch as in users' Python) into the project's virtual environment ${MER_VENV:-.venv}. Idempotent: apt is not
# touched when nothing is missing, pip not when the venv already holds the pinned versions.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${MER_VENV:-$root/.venv}
torch_version=2.11.0
numpy_version=2.2.6

packages=(
  build-essential cmake pkg-config git
  libsndfile1-dev libfftw3-dev libsoxr-dev
  libcli11-dev nlohmann-json3-dev libgtest-dev
  python3-venv python3-numpy libgloo-dev
)
# libgloo-dev: the Gloo headers for data-parallel training (LibTorch holds ProcessGroupGloo itself, not its headers).
# python3-venv: the virtual environment that holds torch (the build's LibTorch, and the export and torchrun tests).
# The reference generators and the side-by-side benchmarks need the Python peers as well (still Debian's torch 1.13
# and torchaudio 0.13 for the frontend and training benchmarks, run with /usr/bin/python3).
if [[ "${MER_WITH_PYTHON_PEERS:-0}" == 1 ]]; then
  packages+=(python3-torch python3-torchaudio python3-sklearn)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
else
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian's python3 (not whatever `python3` is first on PATH): the venv must outlive a user's pyenv or conda.
if ! "$venv/bin/python" -c "import sys, torch, numpy; sys.exit(torch.__version__.split('+')[0] != '$torch_version')" 2>/dev/null; then
  echo "install-deps: installing torch==$torch_version into $venv (PyPI, ~3 GB with its CUDA libraries)"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "torch==$torch_version" "numpy==$numpy_version"
fi
echo "install-deps: LibTorch $("$venv/bin/python" -c 'import torch; print(torch.__version__, "in", torch.utils.cmake_prefix_path)')"
