#!/usr/bin/env bash
# Float32 precision of the log-mel frontend on real music, side by side with torchaudio, against a float64
# reference (librosa's definition computed in float64). Clips: every 36th of the 4Q dataset (20 clips), decoded and
# resampled to 22.05 kHz once by torchaudio and written as float WAVs, so every side reads the same samples.
#   scripts/bench-frontend-precision.sh [4Q ROOT (default ../shared/datasets/4Q)] [N_MELS (default 128)]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
fourq=${1:-$root/../shared/datasets/4Q}
n_mels=${2:-128}
[ -d "$fourq/Q1" ] || { echo "bench-frontend-precision: no 4Q dataset at $fourq" >&2; exit 2; }

MER_WITH_PYTHON_PEERS=1 "$root/scripts/install-deps.sh" >/dev/null
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer" "$root/scripts/build.sh" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$fourq"/Q[1-4] -type f | sort | awk 'NR % 36 == 1' | head -20 > "$work/clips.txt"
/usr/bin/python3 - "$work" < <(cat <<'PY'
import os, sys, torch, torchaudio
work = sys.argv[1]
for path in open(os.path.join(work, "clips.txt")).read().split("\n"):
    if not path:
        continue
    x, sr = torchaudio.load(path)
    x = torchaudio.functional.resample(x.mean(0, keepdim=True), sr, 22050)
    name = os.path.splitext(os.path.basename(path))[0]
    torchaudio.save(os.path.join(work, name + ".wav"), x, 22050, encoding="PCM_F", bits_per_sample=32)
PY
)
result=$(/usr/bin/python3 "$root/scripts/bench/frontend_precision.py" "$build_dir/mer" "$n_mels" "$work"/*.wav 2>"$work/per_clip.txt")
cat "$work/per_clip.txt"
/usr/bin/python3 - "$result" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); w = r["worst_db"]
print(f"log-mel (22.05 kHz, n_fft 2048, hop 512, {r['n_mels']} mels, dB) on {r['clips']} real 4Q clips: "
      "worst |float32 - float64| over the bins within 80 dB of each clip's maximum")
print(f"  mer                                          {w['mer']:.2e} dB")
print(f"  torchaudio MelSpectrogram (float32)          {w['torchaudio']:.2e} dB   mer / torchaudio = "
      f"{w['mer'] / w['torchaudio']:.2f}")
print(f"  torch float32 with a float64-built filterbank {w['torch_f32_exact_filterbank']:.2e} dB   mer / it = "
      f"{w['mer'] / w['torch_f32_exact_filterbank']:.2f}")
PY
