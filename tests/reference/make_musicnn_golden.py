#!/usr/bin/env python3
"""Generates tests/reference/musicnn/: the outputs of the musicnn authors' own extractor (musicnn.extractor from
PyPI's musicnn==0.1.0, run under TensorFlow through tf.compat.v1, librosa for its log-mel) on real audio of several
rates and lengths, against which test_musicnn checks mer's LibTorch networks (1e-4 absolute, per layer).

Inputs (real music, the 1000 Songs clips of ../shared/datasets/emoMusic; written once as 16-bit FLAC so both sides
read the same samples):
  rate16k_3s.flac   16 kHz mono, 3.2 s (one patch)       rate22k_7s.flac  22.05 kHz mono, 7.5 s (two patches)
  rate44k_st_6s.flac 44.1 kHz stereo, 6.3 s              rate48k_10s.flac 48 kHz mono, 10.0 s (three patches)
  rate8k_9s.flac    8 kHz mono, 9.7 s (upsampled)        short_2s.flac    16 kHz mono, 2.0 s (shorter than a patch)
and ../shared/datasets/emoMusic/audio/clips_45seconds/10.mp3 itself (45 s MP3, 15 patches; read from ../shared).

Outputs per input and model (mtt_musicnn, msd_musicnn, mtt_vgg, msd_vgg): NAME.MODEL.LAYER.npy, float32
[patches, dims]; layers taggram, penultimate, max_pool, mean_pool for musicnn, taggram and pool5 for vgg (pool5
flattened per patch as the authors' dense layer reads it: [time 2, freq 1, channels 128] -> 256). Also
NAME.logmel.npy: the extractor's own input representation (batch_data's audio_rep, [frames, 96]; excerpts only) and
manifest.json: inputs, shapes, versions, and what the extractor does with the short input (it raises: with fewer
than 187 frames its patch loop never runs and `batch` is unbound).

The extractor is run with configuration.BATCH_SIZE raised above any patch count (see below: with batches of one
patch its penultimate layer repeats the first patch's values for every later patch, a bug of musicnn 0.1.0).

NumPy must promote as it did when musicnn was written (its pin: numpy<1.17): `10000 * audio_rep` on the float16 mel
power is float32 under NumPy 1.x's value-based casting, but float16 under NumPy 2's rules (NEP 50), where it
overflows to inf for every mel power above 6.55 (loud low bands of ordinary pop music): musicnn's outputs then
become the same constant vector for every patch of every song. So the references are made with NumPy 1.26.

Run from the repository root in a Python with tensorflow-cpu 2.15.1, tf-keras 2.15.1, numpy 1.26.4, librosa 0.11.0,
soundfile 0.13.1 and musicnn 0.1.0 (installed with --no-deps: its numpy<1.17 pin has no wheel for Python 3.11):
    python3 tests/reference/make_musicnn_golden.py
"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # musicnn builds its graph with tf.compat.v1.layers (tf-keras 2)

import librosa
import numpy as np
import soundfile as sf
import tensorflow as tf
from musicnn import configuration as musicnn_configuration
from musicnn import extractor as musicnn_extractor

# The extractor runs BATCH_SIZE = 1 patch per session call, and its loop over the later batches unpacks their
# penultimate (and cnn1-3) outputs into other names (backend_, midend1_ ...) while concatenating the first batch's
# again: every patch after the first gets the first patch's penultimate. With one batch holding every patch the loop
# never runs and every layer is the network's own (batch norm is in inference mode, so the batch size changes nothing).
musicnn_configuration.BATCH_SIZE = 100000

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "musicnn")
CLIPS = os.path.join(HERE, "..", "..", "..", "shared", "datasets", "emoMusic", "audio", "clips_45seconds")
MODELS = {"mtt_musicnn": "MTT_musicnn", "msd_musicnn": "MSD_musicnn", "mtt_vgg": "MTT_vgg", "msd_vgg": "MSD_vgg"}

# name -> (source clip, start s, seconds, rate, channels)
EXCERPTS = {
    "rate16k_3s": ("2.mp3", 10.0, 3.2, 16000, 1),
    "rate22k_7s": ("3.mp3", 12.0, 7.5, 22050, 1),
    "rate44k_st_6s": ("4.mp3", 5.0, 6.3, 44100, 2),
    "rate48k_10s": ("5.mp3", 20.0, 10.0, 48000, 1),
    "rate8k_9s": ("7.mp3", 15.0, 9.7, 8000, 1),
    "short_2s": ("8.mp3", 20.0, 2.0, 16000, 1),
}


def make_excerpt(name, clip, start, seconds, rate, channels):
    y, sr = librosa.load(os.path.join(CLIPS, clip), sr=None, mono=True)
    if channels == 1:
        x = y[int(start * sr): int((start + seconds) * sr)]
        x = librosa.resample(x, orig_sr=sr, target_sr=rate) if rate != sr else x
    else:  # two different moments of the same recording as left and right
        left = y[int(start * sr): int((start + seconds) * sr)]
        right = y[int((start + 11) * sr): int((start + 11 + seconds) * sr)]
        x = np.stack([left, right], axis=1)
    path = os.path.join(OUT, "audio", name + ".flac")
    sf.write(path, np.clip(x, -1, 1), rate, subtype="PCM_16")
    return path


def save(path, array):
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def main():
    os.makedirs(os.path.join(OUT, "audio"), exist_ok=True)
    inputs = {name: make_excerpt(name, *spec) for name, spec in EXCERPTS.items()}
    inputs["clip10_45s"] = os.path.join(CLIPS, "10.mp3")
    manifest = {"generator": "tests/reference/make_musicnn_golden.py",
                "versions": {"tensorflow": tf.__version__, "librosa": librosa.__version__, "numpy": np.__version__,
                             "soundfile": sf.__version__, "libsndfile": sf.__libsndfile_version__,
                             "musicnn": "0.1.0"},
                "inputs": {}}
    for name, path in inputs.items():
        entry = {"file": os.path.relpath(path, os.path.join(HERE, "..", "..")) if name != "clip10_45s"
                 else "../shared/datasets/emoMusic/audio/clips_45seconds/10.mp3"}
        info = sf.info(path)
        entry.update(rate=info.samplerate, channels=info.channels, frames=info.frames)
        try:
            _, logmel = musicnn_extractor.batch_data(path, 187, 187)
            if name != "clip10_45s":  # 1 MB; the excerpts cover the frontend
                save(os.path.join(OUT, name + ".logmel.npy"), logmel)
            entry["logmel_frames"] = int(logmel.shape[0])
        except Exception as e:  # the short input: the patch loop never runs
            entry["extractor_error"] = f"{type(e).__name__}: {e}"
            print(f"{name}: the authors' extractor raises {entry['extractor_error']}")
            manifest["inputs"][name] = entry
            continue
        for model, authors_name in MODELS.items():
            taggram, tags, features = musicnn_extractor.extractor(path, model=authors_name, extract_features=True)
            patches = taggram.shape[0]
            save(os.path.join(OUT, f"{name}.{model}.taggram.npy"), taggram)
            if "vgg" in model:
                save(os.path.join(OUT, f"{name}.{model}.pool5.npy"), features["pool5"].reshape(patches, -1))
            else:
                for layer in ("penultimate", "max_pool", "mean_pool"):
                    save(os.path.join(OUT, f"{name}.{model}.{layer}.npy"), features[layer].reshape(patches, -1))
            entry.setdefault("tags", {})[model] = tags
            entry["patches"] = int(patches)
        manifest["inputs"][name] = entry
        print(name, entry["patches"], "patches")
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
