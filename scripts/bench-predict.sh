#!/usr/bin/env bash
# Side-by-side prediction benchmark: `mer predict` of a 7-minute stereo MP3 (44.1 kHz), whole process, against the
# same job in Python with torchaudio (scripts/bench/quan_cnn_torch.py predict), best of 3 each.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
MER_WITH_PYTHON_PEERS=1 "$root/scripts/install-deps.sh" >/dev/null
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer mer_make_test_song" "$root/scripts/build.sh" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build_dir/mer_make_test_song" "$work/song.mp3" --seconds 420
"$build_dir/mer" data synth --dataset emomusic --out "$work/emo" --songs 12 --seconds 20 >/dev/null
"$build_dir/mer" train --config "$root/configs/demo.json" --set "data.root=$work/emo" --set "data.cache_dir=$work/cache" \
  --set train.epochs=1 --out "$work/run" 2>/dev/null
best() {  # best wall time of three runs of a command, in seconds
  local best=999999
  for _ in 1 2 3; do
    local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
    best=$(echo "$e - $s" | bc -l | awk -v b="$best" '{print ($1 < b) ? $1 : b}')
  done
  echo "$best"
}
mer=$(best "$build_dir/mer" predict --run "$work/run" "$work/song.mp3")
py=$(best /usr/bin/python3 "$root/scripts/bench/quan_cnn_torch.py" predict "$work/song.mp3")
awk -v m="$mer" -v p="$py" 'BEGIN {
  printf "predict of a 7-minute stereo MP3, whole process, %d cores\n", '"$(nproc)"'
  printf "  mer            %6.3f s\n  Python/torch   %6.3f s\n  speed-up       %6.1fx   (target >= 5x, mer under 1 s)\n", m, p, p / m }'
