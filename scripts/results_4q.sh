#!/usr/bin/env bash
# Real music: 10-fold cross-validation of every 4Q config on the released 4Q dataset, then the results table.
#
#   scripts/results_4q.sh 4Q_ROOT [--configs "configs/quan_cnn_4q.json ..."] [--seeds "1"] [--out runs/4q]
#                            [--set key=value]...   (e.g. --set data.group_by_artist=false: Panda et al.'s folds,
#                                                    stratified only, not artist-disjoint)
#
# Each config runs with `--set data.root=4Q_ROOT` as its only change, through scripts/sweep.sh (resumable: finished
# folds are skipped), folds 0..9 (stratified by class, artist-disjoint); the validation part carved from each
# training part picks the epoch (train.monitor f1_macro), the test fold is only scored. Prints the Markdown table of
# docs/results.md (scripts/results_table.py) and writes it to RUNS/results.md. Threads: train.threads, else
# $OMP_NUM_THREADS, else all cores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: scripts/results_4q.sh 4Q_ROOT [--configs LIST] [--seeds LIST] [--out DIR] [--set K=V]..." >&2; exit 2; }
data=$(cd "$1" && pwd); shift
configs=$(ls "$root"/configs/*_4q.json | tr '\n' ' ')
seeds="1"
out="runs/4q"
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --configs) configs=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    *) echo "scripts/results_4q.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
"$root/scripts/sweep.sh" --configs "$configs" --folds 10 --seeds "$seeds" --data "fourq=$data" --out "$out" "${sets[@]+"${sets[@]}"}"
/usr/bin/python3 "$root/scripts/results_table.py" "$out" | tee "$out/results.md"
