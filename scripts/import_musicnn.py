#!/usr/bin/env python3
"""Imports the trained musicnn networks (Pons & Serra 2019) into the weight files `mer` loads.

Source: PyPI's musicnn==0.1.0, which carries the authors' TensorFlow checkpoints of MTT_musicnn, MSD_musicnn,
MTT_vgg and MSD_vgg (ISC licence, Music Technology Group, Universitat Pompeu Fabra). The checkpoints are read with
TensorFlow's checkpoint reader (tf.compat.v1.train.NewCheckpointReader); the Adam slots are dropped.

Output: pretrained/musicnn/<model>.safetensors, one per network, in the safetensors layout (8-byte little-endian
header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data),
written here with the standard library and NumPy only. Tensors are named by the LibTorch module that loads them
(src/models/musicnn.cpp) and already in LibTorch's layout: a TF conv kernel [kh, kw, in, out] becomes
[out, in, kh, kw], a dense kernel [in, out] becomes [out, in]. The header's __metadata__ holds the architecture,
the tag vocabulary, the source package's SHA-256 and the licence notice.

Run once, from the repository root, with TensorFlow and pip in the Python that runs it:
    python3 scripts/import_musicnn.py [--wheel musicnn-0.1.0-py3-none-any.whl] [--out pretrained/musicnn]
Without --wheel the package is fetched with `pip download musicnn==0.1.0 --no-deps`. Re-running it writes
byte-identical files (the test test_musicnn checks the committed files against the reference outputs).
"""
import argparse
import ast
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

MODELS = {  # mer's name -> (checkpoint folder, architecture, tag vocabulary in configuration.py)
    "mtt_musicnn": ("MTT_musicnn", "musicnn", "MTT_LABELS"),
    "msd_musicnn": ("MSD_musicnn", "musicnn", "MSD_LABELS"),
    "mtt_vgg": ("MTT_vgg", "vgg", "MTT_LABELS"),
    "msd_vgg": ("MSD_vgg", "vgg", "MSD_LABELS"),
}

# TF variable scope -> LibTorch module path, in the order models.py creates them.
MUSICNN_LAYERS = {
    "batch_normalization": "input_bn",
    "conv2d": "timbral74.conv", "batch_normalization_1": "timbral74.bn",
    "conv2d_1": "timbral77.conv", "batch_normalization_2": "timbral77.bn",
    "conv2d_2": "temporal128.conv", "batch_normalization_3": "temporal128.bn",
    "conv2d_3": "temporal64.conv", "batch_normalization_4": "temporal64.bn",
    "conv2d_4": "temporal32.conv", "batch_normalization_5": "temporal32.bn",
    "conv2d_5": "mid1.conv", "batch_normalization_6": "mid1.bn",
    "conv2d_6": "mid2.conv", "batch_normalization_7": "mid2.bn",
    "conv2d_7": "mid3.conv", "batch_normalization_8": "mid3.bn",
    "batch_normalization_9": "pool_bn",
    "dense": "penultimate", "batch_normalization_10": "penultimate_bn",
    "dense_1": "logits",
}
VGG_LAYERS = {
    "batch_normalization": "input_bn",
    **{f"{i}CNN": f"conv{i}.conv" for i in range(1, 6)},
    **{f"batch_normalization_{i}": f"conv{i}.bn" for i in range(1, 6)},
    "dense": "logits",
}
TF_TO_TORCH = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
               "moving_mean": "running_mean", "moving_variance": "running_var"}


def fetch_wheel(folder):
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "musicnn==0.1.0", "-d", folder],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(folder, "musicnn-0.1.0-py3-none-any.whl")


def read_labels(configuration_py):
    """The tag lists of musicnn/configuration.py, read without importing the package."""
    labels = {}
    for node in ast.parse(configuration_py).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id.endswith("_LABELS"):
                labels[node.targets[0].id] = ast.literal_eval(node.value)
    return labels


def to_torch_layout(name, value):
    if name.endswith("kernel") and value.ndim == 4:
        return np.ascontiguousarray(value.transpose(3, 2, 0, 1))  # [kh, kw, in, out] -> [out, in, kh, kw]
    if name.endswith("kernel") and value.ndim == 2:
        return np.ascontiguousarray(value.T)  # [in, out] -> [out, in]
    return value


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = np.asarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", help="musicnn-0.1.0-py3-none-any.whl (default: pip download it)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "pretrained", "musicnn"))
    args = parser.parse_args()

    import tensorflow as tf  # only the checkpoint reader is used

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(tmp)
        with open(wheel, "rb") as f:
            sha256 = hashlib.sha256(f.read()).hexdigest()
        with zipfile.ZipFile(wheel) as z:
            z.extractall(tmp)
        package = os.path.join(tmp, "musicnn")
        with open(os.path.join(package, "configuration.py")) as f:
            labels = read_labels(f.read())
        with open(os.path.join(tmp, "musicnn-0.1.0.dist-info", "LICENSE.md")) as f:
            licence = f.read().strip()
        os.makedirs(args.out, exist_ok=True)
        for name, (folder, arch, vocabulary) in MODELS.items():
            reader = tf.compat.v1.train.NewCheckpointReader(os.path.join(package, folder) + "/")
            layers = MUSICNN_LAYERS if arch == "musicnn" else VGG_LAYERS
            tensors = {}
            for variable in reader.get_variable_to_shape_map():
                scope, _, leaf = variable.rpartition("/")
                if "Adam" in variable or scope not in layers:
                    continue  # optimiser state and beta1/beta2_power
                tensors[layers[scope] + "." + TF_TO_TORCH[leaf]] = to_torch_layout(leaf, reader.get_tensor(variable))
            expected = sum(4 if s.startswith("batch") else 2 for s in layers)
            if len(tensors) != expected:
                sys.exit(f"{folder}: {len(tensors)} tensors read, {expected} expected")
            metadata = {
                "format": "mer-pretrained-1",
                "architecture": arch,
                "model": name,
                "tags": json.dumps(labels[vocabulary]),
                "source": f"PyPI musicnn==0.1.0 (musicnn-0.1.0-py3-none-any.whl, sha256 {sha256}), "
                          f"checkpoint musicnn/{folder}/",
                "license": licence,
            }
            path = os.path.join(args.out, name + ".safetensors")
            write_safetensors(path, tensors, metadata)
            print(f"{path}: {len(tensors)} tensors, {sum(t.size for t in tensors.values())} parameters, "
                  f"{len(labels[vocabulary])} tags")


if __name__ == "__main__":
    main()
