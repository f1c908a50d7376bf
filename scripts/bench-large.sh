#!/usr/bin/env bash
# Large-corpus training benchmark (issue 15, item 3; one process): a DEAM-sized synthetic corpus (1,802 songs of
# 45 s) and one epoch of configs/adff_deam.json on it. Prints the corpus synthesis time, the wall time and peak RSS
# of a cold run (feature cache built on the way) and of a warm run (cache present), the cache build rate
# (songs/s, from the difference), the cache size on disk, and the epoch's training samples/s. Then the same epoch
# on 1 rank and on 2 ranks (`mer train --nproc 2`, c10d Gloo over loopback), one thread each, batch 16 per rank:
# samples/s, the gradient all-reduce time per step, and a model of the all-reduce cost on N nodes.
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
ranks() {  # ranks NAME N: one epoch on N ranks of one thread each
  OMP_NUM_THREADS=1 "$build_dir/mer" train --config "$root/configs/adff_deam.json" --set "data.root=$work/deam" \
    --set "data.cache_dir=$work/cache" --set train.epochs=1 --set train.threads=1 --nproc "$2" --out "$work/$1" \
    >"$work/$1.out" 2>"$work/$1.err"
}
ranks rank1 1
ranks rank2 2
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
one = json.loads(open(f"{work}/rank1/train_log.jsonl").readline())
two = json.loads(open(f"{work}/rank2/train_log.jsonl").readline())
params = json.load(open(f"{work}/rank2/metrics.json"))["parameters"]
steps1, steps2 = one["global_step"], two["global_step"]
comm = two["comm_seconds"] / steps2  # per step, mean over the ranks
print(f"data-parallel, one thread per rank, batch 16 per rank (c10d Gloo, loopback):")
print(f"  1 rank : {one['samples_per_second']:7.1f} train samples/s, {steps1} steps, epoch {one['seconds']:.1f} s (with validation)")
print(f"  2 ranks: {two['samples_per_second']:7.1f} train samples/s, {steps2} steps, epoch {two['seconds']:.1f} s;"
      f" speed-up {two['samples_per_second'] / one['samples_per_second']:.2f}x")
print(f"  gradient all-reduce: {comm * 1e3:.2f} ms per step ({params:,} parameters = {params * 4 / 2**20:.2f} MB of float32 gradients)")
# Ring all-reduce of S bytes on N nodes: 2 (N - 1) / N * S / bandwidth + 2 (N - 1) * latency (latency 50 us assumed).
S = params * 4
print("  model of the ring all-reduce per step on N nodes (latency 50 us per hop assumed):")
for gbit in (10, 100):
    cells = []
    for n in (2, 4, 8, 16, 64):
        t = 2 * (n - 1) / n * S / (gbit * 1e9 / 8) + 2 * (n - 1) * 50e-6
        cells.append(f"N={n}: {t * 1e3:.1f} ms")
    print(f"    {gbit:3d} Gbit/s: " + ", ".join(cells))
PY
