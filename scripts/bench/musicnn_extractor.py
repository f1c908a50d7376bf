"""The authors' side of scripts/bench/embed.sh: musicnn.extractor (TensorFlow, librosa) over the files given, the
penultimate layer of msd_musicnn per file, as a user of the musicnn package embeds a folder. One process, one model
load per file (the extractor builds its graph and restores the checkpoint on every call, as the package does).
  python3 musicnn_extractor.py FILE..."""
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from musicnn.extractor import extractor  # noqa: E402

for path in sys.argv[1:]:
    taggram, tags, features = extractor(path, model="MSD_musicnn", extract_features=True)
    assert features["penultimate"].shape[1] == 200
