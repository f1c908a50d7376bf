#!/usr/bin/python3
"""The docs/results.md table from a folder of 4Q runs (scripts/results_4q.sh): per config, the test-fold macro F1
and accuracy (mean +- sample sd over folds and seeds), the parameter count, and the time per fold (training and
validation epochs from train_log.jsonl, without the one-off feature cache build), best macro F1 first; then the
best config's confusion matrix summed over its test folds, with per-class precision, recall and F1.

Usage: /usr/bin/python3 scripts/results_table.py RUNS_DIR
"""
import glob
import json
import os
import statistics
import sys

runs = sys.argv[1]
groups = {}
for metrics_path in glob.glob(os.path.join(runs, "**", "metrics.json"), recursive=True):
    run = os.path.dirname(metrics_path)
    sweep = os.path.join(run, "sweep.json")
    if not os.path.exists(sweep):
        continue
    sweep_info = json.load(open(sweep))
    group = sweep_info["group"]
    m = json.load(open(metrics_path))
    if "test" not in m or "f1_macro" not in m["test"]:
        continue
    seconds = 0.0
    with open(os.path.join(run, "train_log.jsonl")) as log:
        for line in log:
            seconds += json.loads(line)["seconds"]
    g = groups.setdefault(group, {"f1": [], "acc": [], "params": m["parameters"], "seconds": [], "epochs": [],
                                  "folds": set(), "seeds": set()})
    g["folds"].add(sweep_info.get("fold"))
    g["seeds"].add(sweep_info.get("seed"))
    g["f1"].append(m["test"]["f1_macro"])
    g["acc"].append(m["test"]["accuracy"])
    g["seconds"].append(seconds)
    g["epochs"].append(m["best_epoch"])
    g.setdefault("classes", m["test"].get("classes"))
    confusion = m["test"]["confusion"]
    if "confusion" not in g:
        g["confusion"] = [[0] * len(confusion) for _ in confusion]
    for r, row in enumerate(confusion):
        for c, v in enumerate(row):
            g["confusion"][r][c] += v


def sd(v):
    return statistics.stdev(v) if len(v) > 1 else 0.0


# The best configuration is chosen among those with every fold done (the most runs); partial rows are marked.
complete = max((len(g["folds"]) for g in groups.values()), default=0)
print("| config | folds x seeds (runs) | macro F1 (mean ± sd) | accuracy (mean ± sd) | parameters | time per fold | best epoch (median) |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for group, g in sorted(groups.items(), key=lambda kv: -statistics.mean(kv[1]["f1"])):
    partial = "" if len(g["folds"]) == complete else " (partial)"
    print(f"| `configs/{group}.json` | {len(g['folds'])} x {len(g['seeds'])} ({len(g['f1'])}){partial} | {statistics.mean(g['f1']):.3f} ± {sd(g['f1']):.3f} | "
          f"{statistics.mean(g['acc']):.3f} ± {sd(g['acc']):.3f} | {g['params']:,} | "
          f"{statistics.mean(g['seconds']) / 60:.1f} min | {statistics.median(g['epochs']):g} |")

ranked = sorted(((k, g) for k, g in groups.items() if len(g["folds"]) == complete),
                key=lambda kv: -statistics.mean(kv[1]["f1"]))
if ranked:
    best, g = ranked[0]
    classes, m = g["classes"] or [str(i) for i in range(len(g["confusion"]))], g["confusion"]
    print(f"\nThe best configuration: `configs/{best}.json` (macro F1 {statistics.mean(g['f1']):.3f} over "
          f"{len(g['f1'])} runs: {len(g['folds'])} folds x {len(g['seeds'])} seeds). Its test folds together (rows: true class, columns: predicted):\n")
    print("| true \\ predicted | " + " | ".join(classes) + " | precision | recall | F1 |")
    print("| --- | " + " | ".join("---" for _ in classes) + " | --- | --- | --- |")
    for r, name in enumerate(classes):
        tp, row, col = m[r][r], sum(m[r]), sum(m[o][r] for o in range(len(classes)))
        p, rc = (tp / col if col else 0.0), (tp / row if row else 0.0)
        f = 2 * p * rc / (p + rc) if p + rc else 0.0
        print(f"| {name} | " + " | ".join(str(v) for v in m[r]) + f" | {p:.3f} | {rc:.3f} | {f:.3f} |")
