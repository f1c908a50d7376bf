#!/usr/bin/env bash
# Side-by-side training benchmark: each model in mer vs the same model, batch, optimiser and random-crop loading in
# PyTorch/Python (scripts/bench/quan_cnn_torch.py, scripts/bench/models_torch.py), on the same synthetic corpus,
# all cores. Prints samples/s of both (first epoch excluded as warm-up) and the ratio per model.
#   scripts/bench-train.sh [SONGS=200] [EPOCHS=6] [MODELS="quan_cnn adff emb_cl emb_cl_gru raw_cnn learnable"]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
songs=${1:-200}
epochs=${2:-6}
models=${3:-quan_cnn adff emb_cl emb_cl_gru raw_cnn learnable}
MER_WITH_PYTHON_PEERS=1 "$root/scripts/install-deps.sh" >/dev/null
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer" "$root/scripts/build.sh" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build_dir/mer" data synth --dataset emomusic --out "$work/emo" --songs "$songs" --seconds 20 >/dev/null

# The mer side of each model: configs/demo.json with the model's settings; the peer gets the same batch and lr.
declare -A sets=(
  [quan_cnn]=""
  [adff]="--set model.name=adff --set model.quadrant_weight=0.3 --set train.batch_size=16"
  [emb_cl]="--set model.name=emb_cl --set model.embedding_dim=16 --set train.batch_size=16"
  [emb_cl_gru]="--set model.name=emb_cl --set model.embedding_dim=16 --set model.task=dynamic --set model.emotion_encoder=gru --set train.batch_size=16"
  [raw_cnn]="--set model.name=raw_cnn --set model.input_frames=44100 --set train.batch_size=16"
  [learnable]="--set frontend.learnable=true --set train.batch_size=16"
)
printf '%-10s %14s %14s %8s   (%s synthetic songs, %s epochs, first excluded)\n' model "mer samples/s" "torch samples/s" ratio "$songs" "$epochs"
for model in $models; do
  # shellcheck disable=SC2086
  "$build_dir/mer" train --config "$root/configs/demo.json" --set "data.root=$work/emo" \
    --set "data.cache_dir=$work/cache" --set "train.epochs=$epochs" ${sets[$model]} --out "$work/run_$model" 2>/dev/null
  if [ "$model" = quan_cnn ]; then
    peer=$(/usr/bin/python3 "$root/scripts/bench/quan_cnn_torch.py" train "$work/emo" --epochs "$epochs")
  else
    peer=$(/usr/bin/python3 "$root/scripts/bench/models_torch.py" "$work/emo" --model "$model" --epochs "$epochs" \
      --batch 16 --lr 0.002)
  fi
  /usr/bin/python3 - "$work/run_$model/train_log.jsonl" "$peer" "$model" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])][1:]
mer = sum(l["samples_per_second"] for l in log) / len(log)
peer = json.loads(sys.argv[2])["torch_samples_per_second"]
print(f"{sys.argv[3]:<10} {mer:14.1f} {peer:14.1f} {mer / peer:7.2f}x")
PY
done
echo "torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'); target >= 1.1x"
