#!/usr/bin/env bash
# Side-by-side embedding benchmark (issue 28): `mer embed --model msd_musicnn --layer penultimate` against the
# authors' own extractor (musicnn 0.1.0 on TensorFlow CPU, scripts/bench/musicnn_extractor.py) on the same real
# audio files, whole processes, all cores, one after the other in this run: songs/s and peak RSS of each.
#   scripts/bench/embed.sh PEERS_PYTHON [N]     (N songs of ../shared/datasets/4Q, default 40)
# PEERS_PYTHON: a Python with tensorflow-cpu 2.15.1, tf-keras 2.15.1, numpy 1.26.4, librosa 0.11.0 and musicnn 0.1.0
# (tests/reference/make_musicnn_golden.py says how to install them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
python=${1:?usage: scripts/bench/embed.sh PEERS_PYTHON [N]}
n=${2:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$root/../shared/datasets/4Q" -name '*.opus' | sort | head -n "$n" > "$work/list.txt"
mapfile -t files < "$work/list.txt"
measure() { "$root/.venv/bin/python" "$root/scripts/bench/measure.py" "$@"; }
mer=$(measure "$build_dir/mer" embed --model msd_musicnn --layer penultimate --out-dir "$work/emb" "${files[@]}")
py=$(measure "$python" "$root/scripts/bench/musicnn_extractor.py" "${files[@]}")
"$root/.venv/bin/python" - "$mer" "$py" "$n" "$(nproc)" <<'PY'
import json, sys
mer, py, n, cores = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"embedding {n} 4Q clips (~30 s each, Opus) with msd_musicnn, penultimate layer, {cores} cores, whole process")
print(f"  mer embed           {n / mer['seconds']:6.2f} songs/s   peak RSS {mer['max_rss_mb']:7.0f} MB")
print(f"  musicnn (TF 2.15)   {n / py['seconds']:6.2f} songs/s   peak RSS {py['max_rss_mb']:7.0f} MB")
print(f"  speed-up            {py['seconds'] / mer['seconds']:6.1f}x  (target >= 3x)")
PY
