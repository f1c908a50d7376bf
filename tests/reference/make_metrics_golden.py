#!/usr/bin/env python3
"""Fixed predictions and the values scikit-learn (Debian's python3-sklearn) computes for them, written to
tests/reference/metrics/golden.json for tests/metrics/test_metrics.cpp.
Run from the repository root:  /usr/bin/python3 tests/reference/make_metrics_golden.py"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics as M

rng = np.random.default_rng(20261121)
out = {"sklearn": sklearn.__version__}

# Regression: 40 items x 2 outputs, predictions correlated with the truth.
y = rng.normal(5, 1.5, size=(40, 2))
p = y * 0.7 + rng.normal(1.2, 0.8, size=(40, 2))
ccc = []
for k in range(2):
    a, b = y[:, k], p[:, k]
    ccc.append(2 * np.mean((a - a.mean()) * (b - b.mean())) / (a.var() + b.var() + (a.mean() - b.mean()) ** 2))
out["regression"] = {
    "truth": y.tolist(), "predicted": p.tolist(),
    "r2": M.r2_score(y, p, multioutput="raw_values").tolist(),
    "rmse": np.sqrt(M.mean_squared_error(y, p, multioutput="raw_values")).tolist(),
    "mae": M.mean_absolute_error(y, p, multioutput="raw_values").tolist(),
    "pearson": [float(np.corrcoef(y[:, k], p[:, k])[0, 1]) for k in range(2)],
    "ccc": [float(c) for c in ccc],
}

# Multi-label: 30 items x 6 tags; one tag never positive (left out of the AUC/AP averages); tied scores.
t = (rng.random((30, 6)) < 0.35).astype(float)
t[:, 5] = 0
s = np.clip(t * 0.45 + rng.random((30, 6)) * 0.6, 0, 1)
s = np.round(s, 2)  # ties
pred = (s >= 0.5).astype(int)
valid = [k for k in range(6) if 0 < t[:, k].sum() < 30]
out["tagging"] = {
    "truth": t.tolist(), "scores": s.tolist(),
    "f1_micro": M.f1_score(t, pred, average="micro", zero_division=0),
    "f1_macro": M.f1_score(t, pred, average="macro", zero_division=0),
    "f1_samples": M.f1_score(t, pred, average="samples", zero_division=0),
    "precision_micro": M.precision_score(t, pred, average="micro", zero_division=0),
    "recall_micro": M.recall_score(t, pred, average="micro", zero_division=0),
    "roc_auc_macro": M.roc_auc_score(t[:, valid], s[:, valid], average="macro"),
    "average_precision_macro": M.average_precision_score(t[:, valid], s[:, valid], average="macro"),
    "auc_labels": len(valid),
}

# Classification: 50 items, 4 quadrants, class 3 never predicted.
ct = rng.integers(0, 4, size=50)
cp = np.where(rng.random(50) < 0.6, ct, rng.integers(0, 3, size=50))
out["classification"] = {
    "truth": ct.tolist(), "predicted": cp.tolist(),
    "accuracy": M.accuracy_score(ct, cp),
    "f1_macro": M.f1_score(ct, cp, average="macro", zero_division=0),
    "confusion": M.confusion_matrix(ct, cp, labels=[0, 1, 2, 3]).tolist(),
}
p, r, f, sup = M.precision_recall_fscore_support(ct, cp, labels=[0, 1, 2, 3], zero_division=0)
out["classification"].update({"precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(),
                              "support": sup.tolist()})

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "metrics", "golden.json"), "w") as f:
    json.dump(out, f, indent=1)
