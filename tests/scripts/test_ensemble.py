#!/usr/bin/python3
"""scripts/ensemble.py on hand-made runs (finished run folders with test_predictions.csv, so no mer is called):
per-seed fusion pairs the same seedS-foldK of every group; --across-seeds averages every seed of every group on a
fold. Exits non-zero with the difference when a score is not the one computed here by hand."""
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
script = os.path.join(here, "..", "..", "scripts", "ensemble.py")

# Two classes, two items per fold (A: class a, B: class b). Probabilities of "a" per (group, seed, fold):
P = {("g1", 1, 0): (0.9, 0.6), ("g1", 2, 0): (0.2, 0.4), ("g2", 1, 0): (0.7, 0.7), ("g2", 2, 0): (0.6, 0.1),
     ("g1", 1, 1): (0.4, 0.3), ("g1", 2, 1): (0.8, 0.2), ("g2", 1, 1): (0.4, 0.1), ("g2", 2, 1): (0.9, 0.45)}


def write_runs(root):
    for (group, seed, fold), (pa, pb) in P.items():
        run = os.path.join(root, group, f"seed{seed}-fold{fold}")
        os.makedirs(run)
        open(os.path.join(run, "metrics.json"), "w").write("{}")
        with open(os.path.join(run, "test_predictions.csv"), "w") as f:
            f.write("id,true_a,true_b,pred_a,pred_b\n")
            f.write(f"A,1,0,{pa},{1 - pa}\nB,0,1,{pb},{1 - pb}\n")


def scores(members):  # members: list of (pa, pb); mean probability of "a", argmax -> accuracy and macro F1
    pa = sum(m[0] for m in members) / len(members)
    pb = sum(m[1] for m in members) / len(members)
    truth, pred = ["a", "b"], ["a" if pa > 0.5 else "b", "a" if pb > 0.5 else "b"]
    acc = sum(t == p for t, p in zip(truth, pred)) / 2
    f1s = []
    for c in sorted(set(truth) | set(pred)):
        tp = sum(t == c and p == c for t, p in zip(truth, pred))
        fp = sum(t != c and p == c for t, p in zip(truth, pred))
        fn = sum(t == c and p != c for t, p in zip(truth, pred))
        f1s.append(2 * tp / (2 * tp + fp + fn))
    return acc, sum(f1s) / len(f1s)


def mean(v):
    return sum(v) / len(v)


with tempfile.TemporaryDirectory() as root:
    write_runs(root)
    failures = []
    per_seed = [scores([P[("g1", s, k)], P[("g2", s, k)]]) for s in (1, 2) for k in (0, 1)]
    pooled = [scores([P[(g, s, k)] for g in ("g1", "g2") for s in (1, 2)]) for k in (0, 1)]
    for args, expected, n in (([], per_seed, 4), (["--across-seeds"], pooled, 2)):
        out = subprocess.run([sys.executable, script, *args, root, "g1", "g2"], check=True, capture_output=True,
                             text=True).stdout
        cells = [c.strip() for c in out.split("|")]
        f1 = f"{mean([e[1] for e in expected]):.3f}"
        acc = f"{mean([e[0] for e in expected]):.3f}"
        if cells[2] != str(n) or not cells[3].startswith(f1) or not cells[4].startswith(acc):
            failures.append(f"{args}: expected {n} folds, F1 {f1}, accuracy {acc}; got {out.strip()}")
    # The two modes must differ on these runs, or the test could not tell them apart.
    if f"{mean([e[1] for e in per_seed]):.3f}" == f"{mean([e[1] for e in pooled]):.3f}":
        failures.append("the hand-made runs do not separate the two modes")
    if failures:
        sys.exit("\n".join(failures))
    print("ensemble.py: per-seed and pooled fusion as computed by hand")
