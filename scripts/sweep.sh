#!/usr/bin/env bash
# Benchmark sweeps: `mer train` + `mer eval` over configs x seeds x folds x override grids, then `mer report`.
# Resumable: a run with metrics.json is skipped, a run with last.pt but no metrics.json is resumed (--resume).
#
#   scripts/sweep.sh [--configs "configs/a.json configs/b.json"] [--seeds "1 2 3"] [--folds K]
#                    [--set key=value]... [--grid key=v1,v2,...]... [--data DATASET=ROOT]... [--songs N]
#                    [--file SWEEP.json] [--out RUNS]
#
# --folds K: k-fold cross-validation (data.split=kfold, data.folds=K, data.fold=0..K-1) as the PMEmo/DEAM papers do;
# without it each config's own split is used. --grid multiplies the runs by every value of a key. A dataset without
# a --data root gets a synthetic corpus (mer data synth, --songs songs of 20 s) under RUNS/corpora/<dataset>.
# A sweep file holds the same settings: {"configs": [...], "seeds": [...], "folds": K, "set": ["k=v"],
# "grid": {"k": [v1, v2]}, "data": {"emomusic": "/path"}, "songs": N}.
# Defaults: configs/demo.json, seeds 1 2 3, synthetic corpora, RUNS = runs/sweep.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
mer="$build_dir/mer"

configs="$root/configs/demo.json"
seeds="1 2 3"
folds=0
songs=120
out="runs/sweep"
sets=()
grids=()
declare -A data_roots=()

apply_file() {  # reads a sweep file into the variables above
  eval "$(/usr/bin/python3 - "$1" <<'PY'
import json, shlex, sys
try:
    s = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"echo {shlex.quote(f'scripts/sweep.sh: {sys.argv[1]}: not a valid sweep file ({e})')} >&2; exit 2")
    sys.exit(0)
if "configs" in s: print("configs=" + shlex.quote(" ".join(s["configs"])))
if "seeds" in s: print("seeds=" + shlex.quote(" ".join(str(x) for x in s["seeds"])))
if "folds" in s: print(f"folds={int(s['folds'])}")
if "songs" in s: print(f"songs={int(s['songs'])}")
for kv in s.get("set", []): print("sets+=(" + shlex.quote(kv) + ")")
for k, vs in s.get("grid", {}).items(): print("grids+=(" + shlex.quote(k + "=" + ",".join(str(v) for v in vs)) + ")")
for d, r in s.get("data", {}).items(): print(f"data_roots[{shlex.quote(d)}]=" + shlex.quote(r))
PY
)"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --configs) configs=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --folds) folds=$2; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    --grid) grids+=("$2"); shift 2 ;;
    --data) data_roots[${2%%=*}]=${2#*=}; shift 2 ;;
    --songs) songs=$2; shift 2 ;;
    --file) apply_file "$2"; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "scripts/sweep.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$mer" ] || MER_BUILD_DIR=$build_dir "$root/scripts/build.sh" >/dev/null
mkdir -p "$out"

# Every combination of the grid values, as lines of "key=value key=value".
combos=("")
for g in "${grids[@]+"${grids[@]}"}"; do
  key=${g%%=*}
  IFS=',' read -r -a values <<<"${g#*=}"
  next=()
  for c in "${combos[@]}"; do
    for v in "${values[@]}"; do next+=("${c:+$c }$key=$v"); done
  done
  combos=("${next[@]}")
done

fold_list=(-1)
if [ "$folds" -gt 1 ]; then fold_list=($(seq 0 $((folds - 1)))); fi

total=0 done_runs=0 trained=0 resumed=0 failed=0
for config in $configs; do
  [ -f "$config" ] || { echo "scripts/sweep.sh: $config: config not found" >&2; exit 2; }
  dataset=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["dataset"])' "$config")
  data_root=${data_roots[$dataset]:-}
  if [ -z "$data_root" ]; then
    data_root="$out/corpora/$dataset"
    if [ ! -d "$data_root" ]; then
      echo "sweep: synthesising a $dataset corpus ($songs songs) in $data_root"
      "$mer" data synth --dataset "$dataset" --out "$data_root" --songs "$songs" --seconds 20 --seed 7 >/dev/null
    fi
  fi
  for combo in "${combos[@]}"; do
    label=$(basename "$config" .json)
    [ -n "$combo" ] && label="$label+$(echo "$combo" | tr ' =' ',-')"
    for seed in $seeds; do
      for fold in "${fold_list[@]}"; do
        run="$out/$label/seed$seed"
        args=(--set "data.root=$data_root" --set "data.cache_dir=$out/cache" --set "train.seed=$seed")
        if [ "$fold" -ge 0 ]; then
          run="$run-fold$fold"
          args+=(--set data.split=kfold --set "data.folds=$folds" --set "data.fold=$fold")
        fi
        for s in "${sets[@]+"${sets[@]}"}"; do args+=(--set "$s"); done
        for s in $combo; do args+=(--set "$s"); done
        total=$((total + 1))
        if [ -f "$run/metrics.json" ]; then
          done_runs=$((done_runs + 1))
        else
          mode=(--out "$run")
          if [ -f "$run/last.pt" ]; then mode+=(--resume); resumed=$((resumed + 1)); else trained=$((trained + 1)); fi
          mkdir -p "$run"
          printf '{"group": "%s", "config": "%s", "seed": %s, "fold": %s, "set": "%s"}\n' \
            "$label" "$config" "$seed" "$fold" "$combo" >"$run/sweep.json"
          echo "sweep: $run"
          if ! "$mer" train --config "$config" "${args[@]}" "${mode[@]}" >"$run/train.out" 2>&1; then
            echo "sweep: $run failed, see $run/train.out" >&2
            failed=$((failed + 1))
            continue
          fi
        fi
        [ -f "$run/eval.json" ] || "$mer" eval --run "$run" --json >"$run/eval.json"
      done
    done
  done
done
echo "sweep: $total runs ($done_runs already done, $trained trained, $resumed resumed, $failed failed) in $out"
"$mer" report "$out" --out "$out/report" --papers "$root/docs/paper_results.json"
[ "$failed" -eq 0 ]
