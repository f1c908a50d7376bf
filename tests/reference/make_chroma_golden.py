#!/usr/bin/env python3
"""Generates tests/reference/chroma/*.npy: the frontend's chroma rows (frontend.chroma = 12) computed in float64
with numpy from the frontend golden inputs (tests/reference/frontend/input_*.npy), by the definition in
include/mer/features/frontend_config.h, written independently of the C++ code:

  power spectrum |X|^2 of a periodic-Hann, chroma_n_fft-point STFT at the mel frontend's hop, frame t centred on
  sample t hop (center true) or t hop + n_fft / 2 (center false: where the mel frame's window is centred), zeros
  beyond the signal;
  each bin k > 0 with frequency f = k sr / n_fft in [chroma_fmin, chroma_fmax] is added to pitch class
  round(12 log2(f / 440)) + 9 mod 12 (0 = C, A4 = 440 Hz); each frame divided by its largest class (0 if silent).

Run from the repository root:  /usr/bin/python3 tests/reference/make_chroma_golden.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "frontend")
OUT = os.path.join(HERE, "chroma")


def chroma(x, sr, hop, n_fft, fmin, fmax, center=True, mel_n_fft=2048):
    x = x.astype(np.float64)
    frames = 1 + len(x) // hop if center else 1 + (len(x) - mel_n_fft) // hop
    shift = 0 if center else mel_n_fft // 2
    pad = n_fft // 2 + n_fft
    padded = np.concatenate([np.zeros(pad), x, np.zeros(pad + n_fft)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    classes = np.full(len(freqs), -1)
    for k in range(1, len(freqs)):
        if fmin <= freqs[k] <= fmax:
            classes[k] = (int(np.round(12 * np.log2(freqs[k] / 440.0))) + 9) % 12
    out = np.zeros((12, frames))
    for t in range(frames):
        start = pad + t * hop + shift - n_fft // 2  # in padded coordinates
        spectrum = np.abs(np.fft.rfft(padded[start: start + n_fft] * window)) ** 2
        for c in range(12):
            out[c, t] = spectrum[classes == c].sum()
        peak = out[:, t].max()
        out[:, t] = out[:, t] / peak if peak > 1e-20 else 0.0
    return out


CASES = [
    # name, input, sample rate, frontend keys
    ("default_22050", "synth_22050", 22050, {"hop_length": 512, "chroma": 12}),
    ("small_fft_16000", "synth_16000", 16000,
     {"hop_length": 160, "n_fft": 400, "n_mels": 40, "chroma": 12, "chroma_n_fft": 2048, "chroma_fmin": 100.0,
      "chroma_fmax": 4000.0}),
    ("real_44100", "real_44100", 44100, {"hop_length": 1024, "chroma": 12, "chroma_n_fft": 8192}),
    ("not_centred_22050", "synth_22050", 22050,
     {"hop_length": 1024, "n_fft": 1024, "n_mels": 40, "center": False, "chroma": 12}),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for name, source, sr, keys in CASES:
        x = np.load(os.path.join(INPUTS, "input_" + source + ".npy"))
        frontend = dict({"sample_rate": sr}, **keys)
        ref = chroma(x, sr, keys["hop_length"], keys.get("chroma_n_fft", 4096), keys.get("chroma_fmin", 60.0),
                     keys.get("chroma_fmax", 5000.0), keys.get("center", True), keys.get("n_fft", 2048))
        np.save(os.path.join(OUT, name + ".npy"), ref.astype(np.float32))
        manifest.append({"name": name, "input": "input_" + source + ".npy", "frontend": frontend})
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"cases": manifest}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
