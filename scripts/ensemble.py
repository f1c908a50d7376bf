#!/usr/bin/python3
"""Late fusion of classification runs: per fold and seed, the mean of the members' test-fold class probabilities
(`mer eval --predictions`, written to RUN/test_predictions.csv when missing), its argmax, and the fold's accuracy
and macro F1 (scikit-learn's definitions); mean +- sample sd over folds. Members are sweep groups (config names)
under RUNS, all given equal weight: nothing is fitted, so no test fold informs the ensemble.

Usage: /usr/bin/python3 scripts/ensemble.py RUNS_DIR GROUP [GROUP ...]   (e.g. adff_4q clip_stats_4q quan_cnn_4q)
"""
import csv
import os
import statistics
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
mer = os.environ.get("MER", os.path.join(here, "..", os.environ.get("MER_BUILD_DIR", "build"), "mer"))
runs, groups = sys.argv[1], sys.argv[2:]
if not groups:
    sys.exit(__doc__)


def predictions(run):
    path = os.path.join(run, "test_predictions.csv")
    if not os.path.exists(path):
        subprocess.run([mer, "eval", "--run", run, "--json", "--predictions", path], check=True, stdout=subprocess.DEVNULL)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    classes = [c[5:] for c in rows[0] if c.startswith("pred_")]
    return classes, {r["id"]: ([float(r["true_" + c]) for c in classes], [float(r["pred_" + c]) for c in classes]) for r in rows}


def f1_macro(truth, pred):
    present = sorted(set(truth) | set(pred))
    total = 0.0
    for c in present:
        tp = sum(t == c and p == c for t, p in zip(truth, pred))
        fp = sum(t != c and p == c for t, p in zip(truth, pred))
        fn = sum(t == c and p != c for t, p in zip(truth, pred))
        total += 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return total / len(present)


# Finished runs only (metrics.json written): a run still training has a best.pt that is not its final one.
folds = sorted(set.intersection(*[{f for f in os.listdir(os.path.join(runs, g))
                                   if os.path.exists(os.path.join(runs, g, f, "metrics.json"))} for g in groups]))
f1s, accs = [], []
for fold in folds:
    members = [predictions(os.path.join(runs, g, fold)) for g in groups]
    classes = members[0][0]
    ids = sorted(set.intersection(*[set(m[1]) for m in members]))
    truth, pred = [], []
    for i in ids:
        t = members[0][1][i][0]
        p = [sum(m[1][i][1][k] for m in members) / len(members) for k in range(len(classes))]
        truth.append(max(range(len(t)), key=t.__getitem__))
        pred.append(max(range(len(p)), key=p.__getitem__))
    accs.append(sum(a == b for a, b in zip(truth, pred)) / len(truth))
    f1s.append(f1_macro(truth, pred))
sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
print(f"| ensemble of {', '.join('`configs/' + g + '.json`' for g in groups)} (mean probabilities) | {len(folds)} | "
      f"{statistics.mean(f1s):.3f} ± {sd(f1s):.3f} | {statistics.mean(accs):.3f} ± {sd(accs):.3f} | – | – | – |")
