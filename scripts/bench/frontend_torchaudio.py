#!/usr/bin/env python3
"""The torchaudio peer of mer_bench_frontend: the same WAVs, decoded before timing, log-mel with librosa's
defaults (torchaudio.transforms.MelSpectrogram slaney/slaney, constant padding, + AmplitudeToDB top_db 80),
float32 as users run it. Prints one JSON line with ms per second of audio (best of --repeats)."""
import argparse
import json
import time

import torch
import torchaudio


def main():
    p = argparse.ArgumentParser()
    p.add_argument("files", nargs="+")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    signals = []
    for f in a.files:
        x, sr = torchaudio.load(f)
        assert sr == 22050, f"{f}: expected 22050 Hz, got {sr}"
        signals.append(x.mean(dim=0))
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=22050, n_fft=2048, hop_length=512, n_mels=128,
                                               mel_scale="slaney", norm="slaney", pad_mode="constant", power=2.0)
    db = torchaudio.transforms.AmplitudeToDB("power", top_db=80.0)
    seconds = sum(len(s) for s in signals) / 22050

    def run():
        with torch.inference_mode():
            for s in signals:
                db(mel(s))

    run()
    best = float("inf")
    for _ in range(a.repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"audio_seconds": seconds, "threads": a.threads,
                      "torchaudio_ms_per_audio_s": 1000 * best / seconds,
                      "torch": torch.__version__, "torchaudio": torchaudio.__version__}))


if __name__ == "__main__":
    main()
