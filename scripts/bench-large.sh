#!/usr/bin/env bash
# Large-corpus training benchmark (issue 15, item 3; one process): a DEAM-sized synthetic corpus (1,802 songs of
# 45 s) and one epoch of configs/adff_deam.json on it. Prints the corpus synthesis time, the wall time and peak RSS
# of a cold run (feature cache built on the way) and of a warm run (cache present), the cache build rate
# (songs/s, from the difference), the cache size on disk, and the epoch's training samples/s.
#   scripts/bench-large.sh [SONGS=1802] [SECONDS=45] [WORK=a temporary folder, removed afterwards]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
songs=${1:-1802}
seconds=${2:-45}
work=${3:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
"$root/scripts/install-deps.sh" >/dev/null
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer" "$root/scripts/build.sh" >/dev/null

start=$(date +%s%N)
"$build_dir/mer" data synth --dataset deam --out "$work/deam" --songs "$songs" --seconds "$seconds" >/dev/null
synth=$(( ($(date +%s%N) - start) / 1000000 ))  # ms

run() {  # run NAME: one epoch, timed by /usr/bin/time -v
  /usr/bin/time -v "$build_dir/mer" train --config "$root/configs/adff_deam.json" --set "data.root=$work/deam" \
    --set "data.cache_dir=$work/cache" --set train.epochs=1 --out "$work/$1" >"$work/$1.out" 2>"$work/$1.err"
}
run cold
run warm
/usr/bin/python3 - "$work" "$songs" "$seconds" "$synth" "$(du -sb "$work/cache" | cut -f1)" <<'PY'
import json, re, sys
work, songs, seconds, synth, cache_bytes = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]) / 1000, int(sys.argv[5])
def timing(name):
    err = open(f"{work}/{name}.err").read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err).group(1).split(":")
    wall_s = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    log = [json.loads(l) for l in open(f"{work}/{name}/train_log.jsonl")]
    return wall_s, rss_kb / 1024, log[0]["samples_per_second"], log[0]["seconds"]
cw, cr, cs, ce = timing("cold")
ww, wr, ws, we = timing("warm")
print(f"adff (configs/adff_deam.json), one epoch on {songs} synthetic DEAM songs of {seconds:.0f} s")
print(f"  corpus synthesis                 {synth:8.1f} s")
print(f"  cold run (cache built)           {cw:8.1f} s wall, peak RSS {cr:7.0f} MB, epoch {ce:6.1f} s, {cs:6.1f} train samples/s")
print(f"  warm run (cache present)         {ww:8.1f} s wall, peak RSS {wr:7.0f} MB, epoch {we:6.1f} s, {ws:6.1f} train samples/s")
print(f"  feature cache: {cache_bytes / 2**20:.0f} MB on disk, built at {songs / max(cw - ww, 1e-9):.1f} songs/s (cold - warm wall time)")
print(f"  goal: peak RSS <= 2048 MB: {'met' if max(cr, wr) <= 2048 else 'NOT met'}")
PY
