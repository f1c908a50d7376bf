#!/usr/bin/python3
"""Late fusion of classification runs: per fold and seed, the mean of the members' test-fold class probabilities
(`mer eval --predictions`, written to RUN/test_predictions.csv when missing), its argmax, and the fold's accuracy
and macro F1 (scikit-learn's definitions); mean +- sample sd over folds. Members are sweep groups (config names)
under RUNS, all given equal weight: nothing is fitted, so no test fold informs the ensemble.

With --across-seeds the members of a fold are every seed of every group on that fold (runs named seedS-foldK),
so one group's seeds are averaged with each other (a seed ensemble) and there is one score per fold.

Usage: /usr/bin/python3 scripts/ensemble.py [--across-seeds] RUNS_DIR GROUP [GROUP ...]
       (e.g. runs/4q adff_4q clip_stats_4q quan_cnn_4q; RUNS_DIR may also be given per group as DIR/GROUP)
"""
import csv
import os
import statistics
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
mer = os.environ.get("MER", os.path.join(here, "..", os.environ.get("MER_BUILD_DIR", "build"), "mer"))
args = sys.argv[1:]
across_seeds = "--across-seeds" in args
args = [a for a in args if a != "--across-seeds"]
if len(args) < 2:
    sys.exit(__doc__)
runs, groups = args[0], args[1:]


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
def finished(group):
    path = os.path.join(runs, group)
    return {f for f in os.listdir(path) if os.path.exists(os.path.join(path, f, "metrics.json"))}


def fold_of(run):
    return run.split("-", 1)[1] if across_seeds and run.startswith("seed") and "-" in run else run


finished_runs = {g: finished(g) for g in groups}
folds = sorted(set.intersection(*[{fold_of(r) for r in finished_runs[g]} for g in groups]))
f1s, accs = [], []
for fold in folds:
    members = [predictions(os.path.join(runs, g, r)) for g in groups for r in sorted(finished_runs[g]) if fold_of(r) == fold]
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
print(f"| ensemble of {', '.join('`configs/' + g + '.json`' for g in groups)} (mean probabilities{', seeds pooled per fold' if across_seeds else ''}) | {len(folds)} | "
      f"{statistics.mean(f1s):.3f} ± {sd(f1s):.3f} | {statistics.mean(accs):.3f} ± {sd(accs):.3f} | – | – | – |")
