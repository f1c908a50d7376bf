#!/usr/bin/env python3
"""Generates tests/reference/musicnn/: the outputs of the musicnn authors' own extractor (musicnn.extractor from
PyPI's musicnn==0.1.0, run under TensorFlow through tf.compat.v1, librosa for its log-mel) on real audio of several
rates and lengths, against which test_musicnn checks mer's LibTorch networks (1e-4 absolute, per layer).

Inputs: real music read from ../shared (nothing of it is committed; the test skips without ../shared), of four rates
and four lengths: 4Q clips (Opus) at 16 kHz (10.0 s), 24 kHz (25.5 s) and 48 kHz (27.1 s), and two 1000 Songs clips
(MP3, 44.1 kHz, 45 s). Outputs per input and model (mtt_musicnn, msd_musicnn, mtt_vgg, msd_vgg): NAME.MODEL.LAYER.npy,
float32 [patches, dims]; layers taggram, penultimate, max_pool, mean_pool for musicnn, taggram and pool5 for vgg
(pool5 flattened per patch as the authors' dense layer reads it: [time 2, freq 1, channels 128] -> 256); no audio
and no spectrogram, so nothing that could rebuild the audio. manifest.json: inputs, shapes, versions, the tag
vocabularies, and what the extractor does with audio shorter than a patch (a 2 s synthetic tone: it raises, with
fewer than 187 frames its patch loop never runs and `batch` is unbound).

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
import tempfile

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
SHARED = os.path.join(HERE, "..", "..", "..", "shared")
MODELS = {"mtt_musicnn": "MTT_musicnn", "msd_musicnn": "MSD_musicnn", "mtt_vgg": "MTT_vgg", "msd_vgg": "MSD_vgg"}
INPUTS = {  # name -> path under ../shared
    "4q_16k_10s": "datasets/4Q/Q1/MT0013621344.opus",
    "4q_24k_25s": "datasets/4Q/Q4/MT0011051663.opus",
    "4q_48k_27s": "datasets/4Q/Q2/MT0002385077.opus",
    "clip10_45s": "datasets/emoMusic/audio/clips_45seconds/10.mp3",
    "clip2_45s": "datasets/emoMusic/audio/clips_45seconds/2.mp3",
}


def save(path, array):
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {"generator": "tests/reference/make_musicnn_golden.py",
                "versions": {"tensorflow": tf.__version__, "librosa": librosa.__version__, "numpy": np.__version__,
                             "soundfile": sf.__version__, "libsndfile": sf.__libsndfile_version__,
                             "musicnn": "0.1.0"},
                "inputs": {}}
    for name, relative in INPUTS.items():
        path = os.path.join(SHARED, relative)
        info = sf.info(path)
        entry = {"file": "../shared/" + relative, "rate": info.samplerate, "channels": info.channels,
                 "frames": info.frames}
        for model, authors_name in MODELS.items():
            taggram, tags, features = musicnn_extractor.extractor(path, model=authors_name, extract_features=True)
            patches = taggram.shape[0]
            save(os.path.join(OUT, f"{name}.{model}.taggram.npy"), taggram)
            if "vgg" in model:
                save(os.path.join(OUT, f"{name}.{model}.pool5.npy"), features["pool5"].reshape(patches, -1))
            else:
                for layer in ("penultimate", "max_pool", "mean_pool"):
                    save(os.path.join(OUT, f"{name}.{model}.{layer}.npy"), features[layer].reshape(patches, -1))
            manifest.setdefault("tags", {})[model] = tags
            entry["patches"] = int(patches)
        manifest["inputs"][name] = entry
        print(name, entry["patches"], "patches")
    with tempfile.TemporaryDirectory() as tmp:  # audio shorter than one patch: a 2 s tone
        short = os.path.join(tmp, "short_2s.wav")
        sf.write(short, 0.5 * np.sin(2 * np.pi * 440 * np.arange(32000) / 16000), 16000)
        try:
            musicnn_extractor.extractor(short, model="MSD_musicnn")
            manifest["short_audio"] = "no error"
        except Exception as e:
            manifest["short_audio"] = f"{type(e).__name__}: {e}"
    print("short audio:", manifest["short_audio"])
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
