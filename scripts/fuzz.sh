#!/usr/bin/env bash
# Fuzzes the parsers that read untrusted bytes with libFuzzer (Debian's clang), under AddressSanitizer and
# UndefinedBehaviorSanitizer:
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET (default 60)] [TARGET ...]
#
# Targets (tests/fuzz/fuzz_targets.h): csv, json_config, npy, run_meta, search_cache, audio, safetensors. Each starts from the
# inputs kept in tests/fuzz/regressions/<target>/ (the seeds and every input that once found a bug; the test suite
# replays them all in test_fuzz_regressions) and runs for the given time. A finding (crash, sanitizer report, an
# exception other than mer's one-line errors, a target's own check) is written to fuzz-findings/<target>/ and the
# script exits 1: fix it, then copy the input into tests/fuzz/regressions/<target>/ so it stays fixed.
# Builds into ${MER_FUZZ_BUILD_DIR:-build-fuzz}; needs clang (apt-get install clang).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(csv json_config npy run_meta search_cache audio safetensors)
command -v clang++ >/dev/null || { echo "scripts/fuzz.sh: clang++ not found (apt-get install clang)" >&2; exit 2; }
build=${MER_FUZZ_BUILD_DIR:-$root/build-fuzz}
# LibTorch (found by the top-level CMakeLists even though no fuzz target links it): the project venv's, as build.sh.
venv=${MER_VENV:-$root/.venv}
torch_args=()
[ -x "$venv/bin/python" ] && torch_args=(-DCMAKE_PREFIX_PATH="$("$venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')")
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" -DMER_BUILD_TESTS=OFF -DMER_FUZZ=ON "${torch_args[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" $(for t in "${targets[@]}"; do echo --target "fuzz_$t"; done) >/dev/null
findings=$root/fuzz-findings
status=0
printf '%-14s %8s %10s %10s  %s\n' target seconds runs corpus result
for t in "${targets[@]}"; do
  corpus=$(mktemp -d)
  cp "$root/tests/fuzz/regressions/$t/"* "$corpus/"
  mkdir -p "$findings/$t"
  log=$(mktemp)
  if ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 "$build/tests/fuzz/fuzz_$t" "$corpus" \
       -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
       -artifact_prefix="$findings/$t/" >"$log" 2>&1; then
    result=ok
  else
    result="FINDING (see $findings/$t/ and $log)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  printf '%-14s %8s %10s %10s  %s\n' "$t" "$seconds" "$runs" "$(ls "$corpus" | wc -l)" "$result"
  [ "$result" = ok ] && rm -f "$log"
  rm -rf "$corpus"
done
exit $status
