#!/usr/bin/python3
"""Loads `mer export` files with python/mer_torch and prints, per file, one JSON line: the model name and the largest
|difference| between PyTorch's output and mer's on the file's example input (the state dict loads with strict=True,
or the script fails). Usage: check_export.py FILE.pt [FILE.pt ...]"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import torch  # noqa: E402
import mer_torch  # noqa: E402

torch.set_num_threads(1)
for path in sys.argv[1:]:
    m = mer_torch.load(path)
    print(json.dumps({"file": path, "model": m.meta["model"], "max_abs_diff": m.check(),
                      "outputs": list(m.example_output.shape), "inputs": list(m.example_input.shape),
                      "pretrained": m.meta.get("pretrained")}))
