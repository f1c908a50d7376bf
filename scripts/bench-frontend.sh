#!/usr/bin/env bash
# Side-by-side log-mel benchmark: mer vs torchaudio on the same decoded WAVs, in one run, excluding process start
# and decoding. Prints ms per second of audio for both, their ratio, and FFTW's time for the FFTs alone.
#   scripts/bench-frontend.sh [SONGS (default 4)] [SECONDS per song (default 60)]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MER_BUILD_DIR:-$root/build}
songs=${1:-4}
seconds=${2:-60}
repeats=${MER_BENCH_REPEATS:-5}

MER_WITH_PYTHON_PEERS=1 "$root/scripts/install-deps.sh" >/dev/null
MER_BUILD_DIR=$build_dir MER_BUILD_TARGETS="mer_bench_frontend mer_make_test_song" "$root/scripts/build.sh" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=()
for i in $(seq 1 "$songs"); do
  "$build_dir/mer_make_test_song" "$work/song$i.wav" --seconds "$seconds" --rate 22050 --channels 1 --seed "$i"
  files+=("$work/song$i.wav")
done

threads_all=$(nproc)
declare -A mer torch
for t in 1 "$threads_all"; do
  mer[$t]=$("$build_dir/mer_bench_frontend" --threads "$t" --repeats "$repeats" "${files[@]}")
  torch[$t]=$(/usr/bin/python3 "$root/scripts/bench/frontend_torchaudio.py" --threads "$t" --repeats "$repeats" "${files[@]}")
done

/usr/bin/python3 - "$songs" "$seconds" "$threads_all" "${mer[1]}" "${torch[1]}" "${mer[$threads_all]}" "${torch[$threads_all]}" <<'PY'
import json, platform, sys
songs, seconds, nthreads = sys.argv[1:4]
m1, t1, mn, tn = (json.loads(s) for s in sys.argv[4:8])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"log-mel (22.05 kHz, n_fft 2048, hop 512, 128 mels, dB) on {songs} x {seconds} s of audio; {cpu}; "
      f"torch {t1['torch']}, torchaudio {t1['torchaudio']}")
print(f"{'threads':>8} {'mer ms/s':>10} {'torchaudio ms/s':>16} {'speed-up':>9} {'FFT-only ms/s':>14} {'mer / FFT':>10}")
for m, t in ((m1, t1), (mn, tn)):
    # The FFT-only bound is measured on one thread, so it is compared with the one-thread row only.
    fft = (f"{m['fft_only_ms_per_audio_s']:>14.4f} {m['mer_ms_per_audio_s'] / m['fft_only_ms_per_audio_s']:>9.2f}x"
           if m["threads"] == 1 else f"{'-':>14} {'-':>10}")
    print(f"{m['threads']:>8} {m['mer_ms_per_audio_s']:>10.4f} {t['torchaudio_ms_per_audio_s']:>16.4f} "
          f"{t['torchaudio_ms_per_audio_s'] / m['mer_ms_per_audio_s']:>8.1f}x {fft}")
print("targets (1 thread): speed-up >= 10x vs torchaudio; mer within 2x of the FFT-only bound")
PY
