#!/usr/bin/env bash
# Side-by-side training benchmark: quan_cnn in mer vs the same model, batch, optimiser and random-crop loading in
# PyTorch/Python (scripts/bench/quan_cnn_torch.py), on the same synthetic corpus, all cores. Prints samples/s of
# both (first epoch excluded as warm-up) and the ratio.   scripts/bench-train.sh [SONGS=200] [EPOCHS=6]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
songs=${1:-200}
epochs=${2:-6}
MER_WITH_PYTHON_PEERS=1 "$root/scripts/install-deps.sh" >/dev/null
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer" "$root/scripts/build.sh" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build_dir/mer" data synth --dataset emomusic --out "$work/emo" --songs "$songs" --seconds 20 >/dev/null
"$build_dir/mer" train --config "$root/configs/demo.json" --set "data.root=$work/emo" --set "data.cache_dir=$work/cache" \
  --set "train.epochs=$epochs" --out "$work/run" 2>/dev/null
torch_json=$(/usr/bin/python3 "$root/scripts/bench/quan_cnn_torch.py" train "$work/emo" --epochs "$epochs")
/usr/bin/python3 - "$work/run/train_log.jsonl" "$torch_json" "$songs" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])][1:]
mer = sum(l["samples_per_second"] for l in log) / len(log)
peer = json.loads(sys.argv[2])
print(f"quan_cnn training on {sys.argv[3]} synthetic songs, batch 8, random 215-frame crops (torch {peer['torch']})")
print(f"  mer      {mer:10.1f} samples/s")
print(f"  PyTorch  {peer['torch_samples_per_second']:10.1f} samples/s")
print(f"  ratio    {mer / peer['torch_samples_per_second']:10.2f}x   (target >= 1.1x)")
PY
