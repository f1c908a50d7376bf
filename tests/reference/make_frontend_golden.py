#!/usr/bin/env python3
"""Generates the frontend golden files under tests/reference/frontend/ with torchaudio 0.13 (Debian's
python3-torchaudio), whose MelSpectrogram(mel_scale="slaney", norm="slaney", pad_mode="constant") reproduces
librosa.feature.melspectrogram, followed by AmplitudeToDB("power", top_db) = librosa.power_to_db(ref=1, amin=1e-10).

The reference is computed in float64 (torch.set_default_dtype) from the float32 inputs stored beside it, so the
C++ float32 frontend is compared with an exact answer rather than with another float32 implementation.

The real recording is 1000 Songs clip 10 (../shared/datasets/emoMusic/audio/clips_45seconds/10.mp3), decoded by
ffmpeg (an independent MP3 decoder) at its native 44.1 kHz; a 1.5 s excerpt from 20 s is stored as input.

Run from the repository root:  /usr/bin/python3 tests/reference/make_frontend_golden.py
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch
import torchaudio

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "frontend")
SHARED = os.path.join(HERE, "..", "..", "..", "shared")
torch.set_default_dtype(torch.float64)


def synthetic(sample_rate, seconds, seed):
    """A chirp, a harmonic tone with vibrato, a decaying click train and some noise: energy in every band."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    nyq = sample_rate / 2
    chirp = 0.3 * np.sin(2 * np.pi * (50 * t + (0.8 * nyq - 50) / (2 * seconds) * t * t))
    f0 = 220 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    tone = sum(0.2 / k * np.sin(k * phase) for k in range(1, 8))
    clicks = np.zeros_like(t)
    clicks[:: int(0.25 * sample_rate)] = 0.8
    clicks = np.convolve(clicks, np.exp(-np.arange(200) / 30.0))[: len(t)]
    noise = 0.01 * rng.standard_normal(len(t))
    return (chirp + tone + clicks + noise).astype(np.float32)


def real_excerpt():
    mp3 = os.path.join(SHARED, "datasets", "emoMusic", "audio", "clips_45seconds", "10.mp3")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", mp3, "-f", "f32le", "-acodec", "pcm_f32le", "-"],
                         check=True, capture_output=True).stdout
    audio = np.frombuffer(raw, dtype=np.float32)
    return audio[20 * 44100: 20 * 44100 + int(1.5 * 44100)].copy()


INPUTS = {
    "synth_22050": (22050, lambda: synthetic(22050, 1.3, 1)),
    "synth_16000": (16000, lambda: synthetic(16000, 1.0, 2)),
    "synth_44100": (44100, lambda: synthetic(44100, 0.75, 3)),
    "real_44100": (44100, real_excerpt),
}

# name, input, frontend overrides (everything else is mer's default = librosa's default)
CASES = [
    ("default", "synth_22050", {}),
    ("htk_norm_none", "synth_22050", {"mel_scale": "htk", "norm": "none", "n_mels": 64}),
    ("reflect_power1", "synth_22050", {"pad_mode": "reflect", "power": 1}),
    ("win_lt_nfft", "synth_22050", {"n_fft": 1024, "win_length": 800, "hop_length": 256, "n_mels": 80}),
    ("odd_sizes", "synth_22050", {"n_fft": 1023, "win_length": 1001, "hop_length": 301, "n_mels": 50,
                                  "fmin": 30.0, "fmax": 8000.0}),
    ("sr16k_htk", "synth_16000", {"sample_rate": 16000, "n_fft": 512, "win_length": 400, "hop_length": 160,
                                  "n_mels": 40, "fmin": 20.0, "fmax": 7600.0, "mel_scale": "htk"}),
    ("sr44k_no_center", "synth_44100", {"sample_rate": 44100, "n_fft": 1024, "hop_length": 1024, "n_mels": 40,
                                        "center": False}),
    ("real_default_44k", "real_44100", {"sample_rate": 44100}),
    ("real_top_db_null", "real_44100", {"sample_rate": 44100, "n_fft": 4096, "hop_length": 1024,
                                        "top_db": None, "pad_mode": "reflect"}),
    ("real_log1p", "real_44100", {"sample_rate": 44100, "n_fft": 1024, "hop_length": 256, "n_mels": 64,
                                  "log": "log1p"}),
    ("real_log_none", "real_44100", {"sample_rate": 44100, "log": "none", "n_mels": 96, "mel_scale": "htk"}),
]

DEFAULTS = {"sample_rate": 22050, "n_fft": 2048, "win_length": None, "hop_length": 512, "n_mels": 128,
            "fmin": 0.0, "fmax": None, "mel_scale": "slaney", "norm": "slaney", "power": 2, "center": True,
            "pad_mode": "constant", "log": "db", "log1p_scale": 10000.0, "top_db": 80.0}


def reference(signal, c):
    mel = torchaudio.transforms.MelSpectrogram(
        sample_rate=c["sample_rate"], n_fft=c["n_fft"], win_length=c["win_length"], hop_length=c["hop_length"],
        f_min=c["fmin"], f_max=c["fmax"], n_mels=c["n_mels"], power=float(c["power"]), center=c["center"],
        pad_mode=c["pad_mode"], norm=None if c["norm"] == "none" else "slaney", mel_scale=c["mel_scale"])
    s = mel(torch.from_numpy(signal.astype(np.float64)))
    if c["log"] == "db":
        # 10 log10 for power 1 as well: mer's "db" is librosa.power_to_db of whatever the spectrogram holds.
        s = torchaudio.transforms.AmplitudeToDB("power", top_db=c["top_db"])(s)
    elif c["log"] == "log1p":
        s = torch.log10(1 + c["log1p_scale"] * s)
    return s.numpy().astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    signals = {}
    for name, (rate, make) in INPUTS.items():
        signals[name] = make()
        np.save(os.path.join(OUT, f"input_{name}.npy"), signals[name])
    manifest = []
    for name, input_name, overrides in CASES:
        config = dict(DEFAULTS, **overrides)
        golden = np.ascontiguousarray(reference(signals[input_name], config))
        np.save(os.path.join(OUT, f"{name}.npy"), golden)
        manifest.append({"name": name, "input": f"input_{input_name}.npy", "frontend": config,
                         "shape": list(golden.shape)})
        print(f"{name}: {golden.shape}", file=sys.stderr)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "tests/reference/make_frontend_golden.py",
                   "torch": torch.__version__, "torchaudio": torchaudio.__version__,
                   "tolerance_db": 1e-3, "range_db": 80.0, "cases": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
