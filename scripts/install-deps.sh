#!/usr/bin/env bash
# Installs mer's build and test dependencies from Debian 12's archive. Idempotent: packages already present
# are left alone and apt is not touched at all when nothing is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libtorch-dev libsndfile1-dev libfftw3-dev libsoxr-dev
  libcli11-dev nlohmann-json3-dev libgtest-dev
  python3-numpy python3-torch libgloo-dev
)
# libgloo-dev: the Gloo headers for data-parallel training (LibTorch holds ProcessGroupGloo itself).
# python3-torch: the export test loads `mer export` files in PyTorch (python/mer_torch).
# The reference generators and the side-by-side benchmarks need the Python peers as well.
if [[ "${MER_WITH_PYTHON_PEERS:-0}" == 1 ]]; then
  packages+=(python3-torchaudio python3-sklearn)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
