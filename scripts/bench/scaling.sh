#!/usr/bin/env bash
# Peak memory (RSS) and time of `mer predict` and `mer train` against the Python/PyTorch peers, side by side, as the
# song gets longer (30 s to 10 min) and the corpus bigger (1x, 4x, 16x songs). Prints Markdown tables.
#   scripts/bench/scaling.sh [BASE_SONGS=25] [EPOCHS=2]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
base=${1:-25}
epochs=${2:-2}
MER_WITH_PYTHON_PEERS=1 "$root/scripts/install-deps.sh" >/dev/null
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer mer_make_test_song" "$root/scripts/build.sh" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
measure() { /usr/bin/python3 "$root/scripts/bench/measure.py" "$@"; }
field() { /usr/bin/python3 -c 'import json,sys; print("%.2f" % json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

"$build_dir/mer" data synth --dataset emomusic --out "$work/small" --songs 12 --seconds 20 >/dev/null
"$build_dir/mer" train --config "$root/configs/demo.json" --set "data.root=$work/small" \
  --set "data.cache_dir=$work/cache" --set train.epochs=1 --out "$work/run" 2>/dev/null

echo "### predict: one stereo 44.1 kHz MP3, whole process"
echo
echo "| song | mer s | mer peak MB | Python s | Python peak MB | time ratio | memory ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for seconds in 30 120 300 600; do
  "$build_dir/mer_make_test_song" "$work/song_$seconds.mp3" --seconds "$seconds" >/dev/null
  m=$(measure "$build_dir/mer" predict --run "$work/run" "$work/song_$seconds.mp3")
  p=$(measure /usr/bin/python3 "$root/scripts/bench/quan_cnn_torch.py" predict "$work/song_$seconds.mp3")
  ms=$(field "$m" seconds) mm=$(field "$m" max_rss_mb) ps=$(field "$p" seconds) pm=$(field "$p" max_rss_mb)
  echo "| ${seconds} s | $ms | $mm | $ps | $pm | $(echo "$ps / $ms" | bc -l | xargs printf '%.1fx') | $(echo "$pm / $mm" | bc -l | xargs printf '%.1fx') |"
done
echo
echo "### train quan_cnn ($epochs epochs, configs/demo.json), whole process incl. feature extraction"
echo
echo "| songs | mer s | mer peak MB | Python s | Python peak MB | time ratio | memory ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for factor in 1 4 16; do
  songs=$((base * factor))
  "$build_dir/mer" data synth --dataset emomusic --out "$work/corpus_$songs" --songs "$songs" --seconds 20 >/dev/null
  m=$(measure "$build_dir/mer" train --config "$root/configs/demo.json" --set "data.root=$work/corpus_$songs" \
    --set "data.cache_dir=$work/cache_$songs" --set "train.epochs=$epochs" --out "$work/run_$songs")
  p=$(measure /usr/bin/python3 "$root/scripts/bench/quan_cnn_torch.py" train "$work/corpus_$songs" --epochs "$epochs")
  ms=$(field "$m" seconds) mm=$(field "$m" max_rss_mb) ps=$(field "$p" seconds) pm=$(field "$p" max_rss_mb)
  echo "| $songs | $ms | $mm | $ps | $pm | $(echo "$ps / $ms" | bc -l | xargs printf '%.1fx') | $(echo "$pm / $mm" | bc -l | xargs printf '%.1fx') |"
done
