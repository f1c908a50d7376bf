#!/usr/bin/python3
"""Writes docs/paper_results.json from ../shared/reference/paper_results.json (the published numbers, each with its
source and the sentence or table row it comes from) plus the 4Q numbers of Panda et al. 2018 and Louro et al. 2024.

Kept: every row whose dataset is one of mer's and whose metric mer computes, mapped to mer's names (`valence.r2`,
`f1_macro`, ...). `model` is the mer model the paper's model corresponds to (its seed paper), or "*" for a later
baseline on that dataset, shown beside every model trained on it. Left out, with the reason in `left_out`: datasets
mer has no loader for (MTG-Jamendo), metrics mer does not compute (average cosine similarity, training loss,
relative improvement over an unnamed state of the art, sqrt of a per-fold R2) and RMSEs on another label scale than
mer's (mer reports DEAM and 1000 Songs RMSE on their 1-9 scale).

Usage: /usr/bin/python3 scripts/make_paper_results.py [SHARED_REFERENCE_JSON] > docs/paper_results.json
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "reference", "paper_results.json")
rows = json.load(open(src))

DATASETS = {"PMEmo": "pmemo", "PMEmo (static annotations, mean, [0,1] scale)": "pmemo", "PMEmo (static, [0,1] scale)": "pmemo",
            "PMEmo (static)": "pmemo", "DEAM": "deam", "EmoMusic": "emomusic", "EmoMusic (MARBLE EMO task)": "emomusic",
            "Deezer + 1000 Songs (pooled)": "deezer+emomusic", "Deezer Mood Detection Dataset (presumed)": "deezer",
            "PMEmo (dataset for the F1 not explicit in the sentence)": "pmemo",
            "PMEmo (dynamic, 0.5-s segments)": "pmemo", "not named in abstract (PMEmo per brief/paper)": "pmemo"}


def metric_of(text):
    """mer's metric name and a factor, or None."""
    t = text.strip()
    for dim in ("valence", "arousal"):
        if t in (f"R2 {dim}", f"R2 {dim} (x100)"):
            return f"{dim}.r2", 0.01 if "x100" in t else 1.0
        if t in (f"Pearson r {dim}", f"R {dim}"):
            return f"{dim}.pearson", 1.0
        if t == f"RMSE {dim}":
            return f"{dim}.rmse", 1.0
    if t == "accuracy":
        return "accuracy", 1.0
    if t.startswith("F1"):
        return "f1_macro", 1.0
    return None


def model_of(r):
    """The mer model of a seed paper's row, or '*' for a later baseline."""
    p, m = r["paper"], r["model"]
    if p.startswith("UWU 2021"):
        return "raw_cnn"
    if p.startswith("Quan & Dong") and m.startswith("Model1"):
        return "quan_cnn"
    if p.startswith("Quan & Dong") and m.startswith("Model2"):
        return "quan_cnn_deep"
    if p.startswith("Takashima") and "CCA + KL" in m:
        return "emb_cl"
    return "*"


out, left_out = [], []
for r in rows:
    dataset = DATASETS.get(r["dataset"])
    mapped = metric_of(r["metric"])
    reason = None
    if dataset is None:
        reason = "dataset without a mer loader: " + r["dataset"]
    elif mapped is None:
        reason = "metric mer does not compute: " + r["metric"]
    elif mapped[0].endswith(".rmse") and dataset in ("deam", "emomusic"):
        reason = "RMSE on a [0, 1] scale; mer reports DEAM / 1000 Songs on 1-9"
    elif mapped[0].endswith(".rmse") and r["paper"].startswith(("de Berardinis", "Deep Gaussian")):
        reason = "RMSE whose label scale the source does not state"
    if reason:
        left_out.append({"paper": r["paper"], "metric": r["metric"], "dataset": r["dataset"], "reason": reason})
        continue
    metric, factor = mapped
    model = model_of(r)
    entry = {"model": model, "dataset": dataset, "metric": metric, "value": round(r["value"] * factor, 6),
             "paper": r["paper"], "paper_model": r["model"], "protocol": r["protocol"],
             "kind": "seed paper" if model != "*" else "later baseline", "source": r["source"],
             "evidence": r["evidence"]}
    if r["paper"].startswith("Takashima") and model == "*":
        entry["kind"] = "seed paper, ablation"
    # A number the source itself flags (its evidence says implausible) carries that flag wherever it is shown.
    if "implausible" in r["evidence"] and metric == "valence.r2":
        entry["caution"] = ("implausible: the paper's own text says the valence predictions often show no "
                            "correlation with the test labels; likely a typo or swap in its Table 1")
    out.append(entry)

# 4Q (not in the shared reference file; the issue quotes them, with their sources).
out += [
    {"model": "*", "dataset": "fourq", "metric": "f1_macro", "value": 0.764,
     "paper": "Panda, Malheiro & Paiva 2018, Novel Audio Features for Music Emotion Recognition, IEEE Trans. Affective Computing",
     "paper_model": "SVM on 100 handcrafted features (baseline + their novel audio features)",
     "protocol": "900 clips, 20 repetitions of stratified 10-fold cross-validation", "kind": "dataset paper",
     "source": "https://doi.org/10.1109/TAFFC.2018.2820691",
     "evidence": "Abstract: baseline and novel features tested with 20 repetitions of 10-fold cross-validation; adding "
                 "the proposed features raised the F1-score to 76.4 percent (by 9 points) against a similar number "
                 "of baseline-only features (checked against the abstract of the IEEE proof)"},
    {"model": "*", "dataset": "fourq", "metric": "f1_macro", "value": 0.802,
     "paper": "Louro, Redinho, Malheiro, Paiva & Panda 2024, A Comparison Study of Deep Learning Methodologies "
              "for Music Emotion Recognition, Sensors 24(7):2201",
     "paper_model": "ensemble of a dense network on handcrafted features and a CNN",
     "protocol": "the 4Q dataset (the same group's); setup as described in the paper", "kind": "later baseline",
     "source": "https://doi.org/10.3390/s24072201",
     "evidence": "Abstract: an ensemble of a Dense Neural Network and a CNN reached a state-of-the-art 80.20% F1 "
                 "score, about 5% above the best baseline results (checked against the MDPI abstract)"},
]

json.dump({"description": "Published results shown beside mer's by `mer report --papers`. Generated by "
                          "scripts/make_paper_results.py from ../shared/reference/paper_results.json (and the 4Q "
                          "rows quoted in issue 12); every value keeps its source and the table row or sentence it "
                          "comes from. `model` is the mer model a seed paper's number belongs to, or \"*\" for a "
                          "number on the dataset by another method (a later baseline), listed beside every mer "
                          "model trained on that dataset. Protocols differ from mer's runs: read `protocol`. "
                          "A number is paired with a mer run in `mer report` only when its `same_protocol_as` "
                          "lists the run's group (the protocols are the same: split, task, input, label scale, "
                          "model kept, what a row is); `caution` is shown beside it wherever it appears.",
           "results": out, "left_out": left_out}, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
