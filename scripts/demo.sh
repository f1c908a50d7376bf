#!/usr/bin/env bash
# The main job on the embedded default, from a fresh Debian 12 machine: install dependencies, build, generate a
# 30 s test song (MP3 and WAV) and turn it into librosa-equivalent log-mel spectrograms with `mer features`,
# then synthesise a 1000 Songs-layout corpus, check it, train quan_cnn on it, evaluate and predict.
# Outputs go to ${MER_DEMO_OUT:-demo-out}/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
out=${MER_DEMO_OUT:-$root/demo-out}

"$root/scripts/install-deps.sh"
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer mer_make_test_song" "$root/scripts/build.sh"
mkdir -p "$out"

echo "== generating a 30 s stereo test song (44.1 kHz) as MP3 and WAV"
"$build_dir/mer_make_test_song" "$out/demo_song.mp3" --seconds 30
"$build_dir/mer_make_test_song" "$out/demo_song_lossless.wav" --seconds 30

echo "== log-mel spectrograms with librosa's defaults (22.05 kHz, n_fft 2048, hop 512, 128 mels, dB)"
"$build_dir/mer" features "$out/demo_song.mp3" "$out/demo_song_lossless.wav" --out-dir "$out/librosa"

echo "== the musicnn recipe from configs/frontend_musicnn.json (16 kHz, 96 mels, log10(1 + 10000 S))"
"$build_dir/mer" features "$out/demo_song.mp3" --out "$out/demo_song_musicnn.npy" \
  --config "$root/configs/frontend_musicnn.json"

echo "== a synthetic 1000 Songs corpus (200 songs, 20 s) whose audio encodes valence and arousal"
rm -rf "$out/emomusic" "$out/run"
"$build_dir/mer" data synth --dataset emomusic --out "$out/emomusic" --songs 200 --seconds 20 --seed 1
"$build_dir/mer" data check --dataset emomusic --root "$out/emomusic"

echo "== train quan_cnn on it (configs/demo.json), evaluate on the held-out evaluation set, predict one song"
"$build_dir/mer" train --config "$root/configs/demo.json" --set "data.root=$out/emomusic" \
  --set "data.cache_dir=$out/cache" --out "$out/run"
"$build_dir/mer" eval --run "$out/run" --predictions "$out/test_predictions.csv"
"$build_dir/mer" predict --run "$out/run" "$out/emomusic/clips_45seconds/2.mp3"

echo "== done: $out"
