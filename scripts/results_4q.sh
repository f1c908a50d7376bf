#!/usr/bin/env bash
# Real music: 10-fold cross-validation of every 4Q config on the released 4Q dataset, then the results table.
#
#   scripts/results_4q.sh 4Q_ROOT [--configs "configs/quan_cnn_4q.json ..."] [--seeds "1"] [--out runs/4q]
#                            [--set key=value]...   (e.g. --set data.group_by_artist=false: Panda et al.'s folds,
#                                                    stratified only, not artist-disjoint)
#                            [--bag N]              (cross-validation bagging instead of --seeds: members k = 0..N-1,
#                                                    each with data.val_fold=k and train.seed=k+1, averaged per fold)
#
# Each config runs with `--set data.root=4Q_ROOT` as its only change, through scripts/sweep.sh (resumable: finished
# folds are skipped), folds 0..9 (stratified by class, artist-disjoint); the validation part carved from each
# training part picks the epoch (train.monitor f1_macro), the test fold is only scored. Prints the Markdown table of
# docs/results.md (scripts/results_table.py) and writes it to RUNS/results.md. Threads: train.threads, else
# $OMP_NUM_THREADS, else all cores. With --bag each test fold's training part is dealt into round(1 / val_ratio)
# artist-disjoint parts and member k validates on part k (so the members together learn from every training clip);
# the runs are named seedS-foldF (S = k + 1) and must have an --out of their own; scripts/ensemble.py --across-seeds
# then scores the members' mean probabilities per fold.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: scripts/results_4q.sh 4Q_ROOT [--configs LIST] [--seeds LIST] [--out DIR] [--set K=V]..." >&2; exit 2; }
data=$(cd "$1" && pwd); shift
configs=$(ls "$root"/configs/*_4q.json | tr '\n' ' ')
seeds="1"
seeds_given=0
out="runs/4q"
sets=()
bag=0
while [ $# -gt 0 ]; do
  case "$1" in
    --configs) configs=$2; shift 2 ;;
    --seeds) seeds=$2; seeds_given=1; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    --bag) bag=$2; shift 2 ;;
    *) echo "scripts/results_4q.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "$bag" = 0 ]; then
  "$root/scripts/sweep.sh" --configs "$configs" --folds 10 --seeds "$seeds" --data "fourq=$data" --out "$out" "${sets[@]+"${sets[@]}"}"
  /usr/bin/python3 "$root/scripts/results_table.py" "$out" | tee "$out/results.md"
  exit 0
fi
[ "$seeds_given" = 0 ] || { echo "scripts/results_4q.sh: --bag sets each member's seed (k + 1): no --seeds with it" >&2; exit 2; }
[[ "$bag" =~ ^[1-9][0-9]*$ ]] || { echo "scripts/results_4q.sh: --bag $bag is invalid: expected a number of members >= 1" >&2; exit 2; }
groups=()
for config in $configs; do groups+=("$(basename "$config" .json)"); done
# A finished run is skipped by the sweep: one made without its member's val_fold (an ordinary seed run in the same
# --out) would be counted as the member, so any such run is refused before training starts.
for ((k = 0; k < bag; k++)); do
  for group in "${groups[@]}"; do
    for config in "$out/$group"/seed$((k + 1))-fold*/config.json; do
      [ -f "$config" ] || continue
      /usr/bin/python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["data"].get("val_fold", -1) != int(sys.argv[2]))' "$config" "$k" ||
        { echo "scripts/results_4q.sh: $config was not made with data.val_fold=$k: give --bag its own --out" >&2; exit 1; }
    done
  done
done
for ((k = 0; k < bag; k++)); do
  "$root/scripts/sweep.sh" --configs "$configs" --folds 10 --seeds "$((k + 1))" --data "fourq=$data" --out "$out" \
    "${sets[@]+"${sets[@]}"}" --set "data.val_fold=$k"
done
/usr/bin/python3 "$root/scripts/results_table.py" "$out" | tee "$out/results.md"
for group in "${groups[@]}"; do
  /usr/bin/python3 "$root/scripts/ensemble.py" --across-seeds "$out" "$group" | tee "$out/$group.bagged.md"
done
