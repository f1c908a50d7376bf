#!/usr/bin/env bash
# Side-by-side catalogue prediction benchmark: `mer predict --list FILES.txt --out RESULTS.jsonl` over SONGS synthetic
# songs of 30 s (default 200) against the same job in one Python process with torchaudio
# (scripts/bench/quan_cnn_torch.py catalogue), $MER_BENCH_RUNS (3) runs each, alternating, medians compared; then
# mer's peak memory for a quarter of the list and for all of it (it should not grow with the list).
#   scripts/bench-catalogue.sh [SONGS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
songs=${1:-200}
runs=${MER_BENCH_RUNS:-3}  # each side runs this many times, alternating; the medians are compared
MER_WITH_PYTHON_PEERS=1 "$root/scripts/install-deps.sh" >/dev/null
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer" "$root/scripts/build.sh" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build_dir/mer" data synth --dataset emomusic --out "$work/emo" --songs "$songs" --seconds 30 >/dev/null
"$build_dir/mer" train --config "$root/configs/demo.json" --set "data.root=$work/emo" --set "data.cache_dir=$work/cache" \
  --set train.epochs=1 --out "$work/run" 2>/dev/null
ls "$work"/emo/clips_45seconds/*.mp3 > "$work/list.txt"
head -n $((songs / 4)) "$work/list.txt" > "$work/quarter.txt"
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); printf '%.2f' "$(echo "$e - $s" | bc -l)"; }
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mer_runs=() py_runs=()
for ((r = 0; r < runs; ++r)); do  # alternating, so that both see the same moments of a shared machine
  rm -f "$work/mer.jsonl" "$work/py.jsonl"
  mer_runs+=("$(seconds "$build_dir/mer" predict --run "$work/run" --list "$work/list.txt" --out "$work/mer.jsonl")")
  py_runs+=("$(seconds /usr/bin/python3 "$root/scripts/bench/quan_cnn_torch.py" catalogue "$work/list.txt" "$work/py.jsonl")")
  [ "$(wc -l < "$work/mer.jsonl")" -eq "$songs" ] || { echo "bench-catalogue: mer wrote $(wc -l < "$work/mer.jsonl") lines" >&2; exit 1; }
done
mer=$(printf '%s\n' "${mer_runs[@]}" | median)
py=$(printf '%s\n' "${py_runs[@]}" | median)
quarter_kb=$(peak_kb "$build_dir/mer" predict --run "$work/run" --list "$work/quarter.txt" --out "$work/q.jsonl")
all_kb=$(peak_kb "$build_dir/mer" predict --run "$work/run" --list "$work/list.txt" --out "$work/a.jsonl")
awk -v m="$mer" -v p="$py" -v n="$songs" -v q="$quarter_kb" -v a="$all_kb" 'BEGIN {
  printf "catalogue prediction of %d songs of 30 s (MP3, 22.05 kHz), whole process, %d cores\n", n, '"$(nproc)"'
  printf "  mer            %7.2f s  %7.2f songs/s   (median of '"$runs"': '"${mer_runs[*]}"')\n", m, n / m
  printf "  Python/torch   %7.2f s  %7.2f songs/s   (median of '"$runs"': '"${py_runs[*]}"')\n", p, n / p
  printf "  speed-up       %7.1fx   (target >= 5x)\n", p / m
  printf "  mer peak RSS   %d MB for %d songs, %d MB for %d songs\n", q / 1024, n / 4, a / 1024, n }'
