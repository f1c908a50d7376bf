"""Experiment behind docs/results.md item 14 (issue 28): frozen musicnn embeddings (`mer embed`) with a linear or MLP
head on 4Q, under the 10-fold protocol of docs/results.md. Rules fixed before the runs (nothing chosen on a test fold):

  Features per clip: for each layer, the mean and the standard deviation over the clip's 3 s patches of
  `mer embed --model M --layer L --out-dir` (the .npy [patches, dims]).
  Rows (fixed in advance):
    E1 msd_musicnn penultimate (200 x 2)          E2 mtt_musicnn penultimate (200 x 2)
    E3 msd_musicnn mean_pool (753 x 2)            E4 msd + mtt penultimate (800)
    E5 E4 + msd_musicnn mean_pool (2306)
  Heads: L = logistic regression on standardised features, its C from {0.01, 0.1, 1} by 5-fold artist-grouped CV
  inside the fold's training part (train + val of mer's split.json); M = an MLP (256 hidden, ReLU, dropout-free
  sklearn MLPClassifier, alpha 1e-2, early stopping on 10% of the training part), seeds 1-3, scored one at a time.
  The test fold is only scored. The best row is named by its inner-CV macro F1 (training parts only), not by its
  test score.

  python3 scripts/experiments/4q_pretrained.py ../shared/datasets/4Q EMB_DIR SPLITS_DIR
EMB_DIR/MODEL.LAYER/<clip id>.npy come from `mer embed`; SPLITS_DIR/fold{0..9}/split.json from any 4Q run of mer
(e.g. configs/clip_stats_4q.json with --set data.fold=K). Needs numpy and scikit-learn (1.5).
"""
import json
import os
import statistics as st
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

QUADRANTS = ["Q1", "Q2", "Q3", "Q4"]
ROWS = {
    "E1": [("msd_musicnn", "penultimate")],
    "E2": [("mtt_musicnn", "penultimate")],
    "E3": [("msd_musicnn", "mean_pool")],
    "E4": [("msd_musicnn", "penultimate"), ("mtt_musicnn", "penultimate")],
    "E5": [("msd_musicnn", "penultimate"), ("mtt_musicnn", "penultimate"), ("msd_musicnn", "mean_pool")],
}


def clips(root):
    """id -> (quadrant index, artist) from the dataset's metadata CSV (ids as mer's fourq loader names them)."""
    import csv
    meta = {}
    with open(os.path.join(root, "panda_dataset_taffc_metadata.csv"), newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            meta[row["Song"].strip()] = row.get("Artist", "").strip().lower()
    out = {}
    for q, name in enumerate(QUADRANTS):
        for fn in sorted(os.listdir(os.path.join(root, name))):
            cid = os.path.splitext(fn)[0]
            out[cid] = (q, meta.get(cid, cid))
    return out


def features(emb_dir, ids, parts):
    blocks = []
    for model, layer in parts:
        rows = []
        for cid in ids:
            a = np.load(os.path.join(emb_dir, f"{model}.{layer}", cid + ".npy"))
            rows.append(np.concatenate([a.mean(0), a.std(0)]))
        blocks.append(np.array(rows))
    return np.concatenate(blocks, axis=1)


def logistic(c):
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000))


def inner_cv(X, y, g, make):
    scores = []
    for tr, te in StratifiedGroupKFold(5, shuffle=True, random_state=0).split(X, y, g):
        scores.append(f1_score(y[te], make().fit(X[tr], y[tr]).predict(X[te]), average="macro"))
    return float(np.mean(scores))


def main():
    root, emb_dir, splits_dir = sys.argv[1:4]
    meta = clips(root)
    results = {}
    for row, parts in ROWS.items():
        lin, inner, mlp = [], [], []
        for fold in range(10):
            split = json.load(open(os.path.join(splits_dir, f"fold{fold}", "split.json")))
            train = sorted(set(split["train"]) | set(split["val"]))
            test = sorted(split["test"])
            assert not set(train) & set(test)
            Xtr, Xte = features(emb_dir, train, parts), features(emb_dir, test, parts)
            ytr = np.array([meta[i][0] for i in train])
            yte = np.array([meta[i][0] for i in test])
            gtr = np.array([meta[i][1] for i in train])
            cv = {c: inner_cv(Xtr, ytr, gtr, lambda c=c: logistic(c)) for c in (0.01, 0.1, 1.0)}
            best_c = max(cv, key=cv.get)
            inner.append(cv[best_c])
            lin.append(f1_score(yte, logistic(best_c).fit(Xtr, ytr).predict(Xte), average="macro"))
            for seed in (1, 2, 3):
                m = make_pipeline(StandardScaler(), MLPClassifier((256,), alpha=1e-2, early_stopping=True,
                                                                 max_iter=500, random_state=seed))
                mlp.append(f1_score(yte, m.fit(Xtr, ytr).predict(Xte), average="macro"))
            print(f"{row} fold {fold}: C {best_c} inner {cv[best_c]:.3f} test L {lin[-1]:.3f} M {np.mean(mlp[-3:]):.3f}",
                  flush=True)
        results[row] = {"parts": parts, "inner_cv_f1": st.mean(inner), "linear_f1": st.mean(lin),
                        "linear_sd": st.stdev(lin), "mlp_f1": st.mean(mlp), "mlp_sd": st.stdev(mlp),
                        "linear_per_fold": lin}
    print("\n| row | features | inner CV macro F1 (training parts) | linear head, test folds | MLP head, 10 x 3 |")
    print("| --- | --- | --- | --- | --- |")
    for row, r in results.items():
        names = " + ".join(f"{m} {l}" for m, l in r["parts"])
        print(f"| {row} | {names} | {r['inner_cv_f1']:.3f} | {r['linear_f1']:.3f} ± {r['linear_sd']:.3f} | "
              f"{r['mlp_f1']:.3f} ± {r['mlp_sd']:.3f} |")
    best = max(results, key=lambda r: results[r]["inner_cv_f1"])
    print(f"\nbest by inner CV: {best}")
    json.dump(results, open(os.path.join(emb_dir, "results.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
