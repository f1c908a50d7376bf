#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a tested build: install dependencies, configure, build, run ctest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$@"
cd "${MER_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc)"
