"""Experiment behind docs/results.md item 13 (not part of mer): four checks of ideas for the 4Q gap, each with its
gate written down before it ran.

Inner checks (inside the training part of fold 0 only, train + val of its split.json: 5-fold artist-grouped CV,
3 repetitions; fold 0's test clips never read), on the features of scripts/experiments/4q_melodic_features.py:
  1. AllMusic moods as auxiliary targets: a torch MLP (128 hidden) on the 332 log-mel statistics, quadrant
     cross-entropy alone against cross-entropy + BCE on the moods shared by >= 10 songs of the inner training part
     (training labels only; the inputs stay audio features).
  2. Label confidence: the same MLP with each clip's cross-entropy weighted by the metadata's PQuad.
  3. Other learners: gradient-boosted trees (HistGradientBoosting) and an RBF SVM on the 100 best ANOVA features,
     on the log-mel statistics and on them + the 46 melodic / note / texture / expressive features.
Outer check (the ten test folds of mer's runs; a measurement, nothing chosen from it):
  4. the trees of check 3 on the 378 features fitted on each fold's training part (seeds 0-2): one at a time (H1),
     the three seeds averaged (H3), and averaged with the three mer runs of the best configuration (R9 against R1).

  /usr/bin/python3 scripts/experiments/4q_side_checks.py ../shared/datasets/4Q FEATURES.npz RUNS
FEATURES.npz is 4q_melodic_features.py's output; RUNS holds seed{1,2,3}-fold{0..9} of
configs/clip_stats_tonal_mixup_4q.json (each with split.json and test_predictions.csv from `mer eval --predictions`).
Needs python3-torch and python3-sklearn; about 20 minutes on 2 cores.
"""
import csv, json, os, statistics as st, sys
from collections import Counter
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def inner_splits(y, g):
    for rep in range(3):
        for f, (tr, te) in enumerate(StratifiedGroupKFold(5, shuffle=True, random_state=rep).split(y, y, g)):
            yield rep * 10 + f, tr, te


def mlp(Xtr, ytr, Xte, seed, moods=None, weights=None, aux_outputs=1):
    """Fixed recipe (no selection): dropout 0.2 / 0.3, Adam 1e-3, weight decay 1e-3, 150 full-batch epochs. The
    auxiliary head is built (aux_outputs wide) in both arms of a comparison, so both start from the same weights."""
    import torch, torch.nn as nn
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-8
    Xtr = torch.tensor((Xtr - mu) / sd, dtype=torch.float32)
    Xte = torch.tensor((Xte - mu) / sd, dtype=torch.float32)
    body = nn.Sequential(nn.Dropout(0.2), nn.Linear(Xtr.shape[1], 128), nn.ReLU(), nn.Dropout(0.3))
    head = nn.Linear(128, 4)
    aux = nn.Linear(128, aux_outputs)
    opt = torch.optim.Adam([*body.parameters(), *head.parameters(), *aux.parameters()], lr=1e-3, weight_decay=1e-3)
    yt = torch.tensor(ytr)
    w = torch.tensor(weights / weights.mean(), dtype=torch.float32) if weights is not None else None
    m = torch.tensor(moods, dtype=torch.float32) if moods is not None else None
    for _ in range(150):
        body.train()
        opt.zero_grad()
        h = body(Xtr)
        ce = nn.functional.cross_entropy(head(h), yt, reduction='none')
        loss = (ce * w).mean() if w is not None else ce.mean()
        if m is not None:
            loss = loss + nn.functional.binary_cross_entropy_with_logits(aux(h), m)
        loss.backward()
        opt.step()
    body.eval()
    with torch.no_grad():
        return head(body(Xte)).argmax(1).numpy()


def paired(name_a, a, name_b, b):
    d = np.array(b) - np.array(a)
    print(f'  {name_a:34s} {np.mean(a):.3f} +- {np.std(a):.3f}\n  {name_b:34s} {np.mean(b):.3f} +- {np.std(b):.3f}\n'
          f'  paired {d.mean():+.3f} (se {d.std(ddof=1) / np.sqrt(len(d)):.3f})', flush=True)


def trees(seed=0):
    return HistGradientBoostingClassifier(learning_rate=0.05, max_iter=300, max_leaf_nodes=15, l2_regularization=1.0,
                                          random_state=seed)


def main(root, npz, runs):
    d = np.load(npz)
    song = list(d['song'])
    y_all = np.array([int(q[1]) - 1 for q in d['q']])
    both = np.hstack([d['base'], d['new']])
    meta = {r['Song']: r for r in csv.DictReader(open(os.path.join(root, 'panda_dataset_taffc_metadata.csv')))}
    split = json.load(open(os.path.join(runs, 'seed1-fold0', 'split.json')))
    part = set(split['train']) | set(split['val'])
    assert not part & set(split['test'])
    idx = [i for i, s in enumerate(song) if s in part]
    y, g = y_all[idx], np.array([meta[song[i]]['Artist'] for i in idx])
    base, X = d['base'][idx], both[idx]
    moods = [{m.strip() for m in meta[song[i]]['MoodsStrSplit'].split(';') if m.strip()} for i in idx]
    pquad = np.array([float(meta[song[i]]['PQuad']) for i in idx])
    print(f'{len(idx)} clips of the training part of fold 0; macro F1 of 5-fold artist-grouped CV x 3', flush=True)

    plain, aux = [], []
    for seed, tr, te in inner_splits(y, g):
        vocab = sorted(m for m, n in Counter(m for i in tr for m in moods[i]).items() if n >= 10)
        targets = np.array([[1.0 if v in moods[i] else 0.0 for v in vocab] for i in tr])
        k = len(vocab)
        plain.append(f1_score(y[te], mlp(base[tr], y[tr], base[te], seed, aux_outputs=k), average='macro'))
        aux.append(f1_score(y[te], mlp(base[tr], y[tr], base[te], seed, moods=targets, aux_outputs=k), average='macro'))
    print('1. AllMusic moods as auxiliary targets (gate +0.02)')
    paired('MLP, quadrant cross-entropy', plain, 'MLP, + BCE on the moods', aux)

    uniform = [f1_score(y[te], mlp(base[tr], y[tr], base[te], seed), average='macro') for seed, tr, te in inner_splits(y, g)]
    weighted = [f1_score(y[te], mlp(base[tr], y[tr], base[te], seed, weights=pquad[tr]), average='macro')
                for seed, tr, te in inner_splits(y, g)]
    print('2. PQuad as a per-clip weight (gate +0.02)')
    paired('MLP, uniform', uniform, 'MLP, weighted by PQuad', weighted)

    print('3. other learners (gate 0.62)')
    for name, F in (('log-mel stats', base), ('log-mel stats + new 46', X)):
        for lname, make in (('gradient-boosted trees', trees),
                            ('RBF SVM C=3 on 100 best', lambda: make_pipeline(StandardScaler(),
                                                                             SelectKBest(f_classif, k=100), SVC(C=3)))):
            s = [f1_score(y[te], make().fit(F[tr], y[tr]).predict(F[te]), average='macro')
                 for _, tr, te in inner_splits(y, g)]
            print(f'  {name:24s} {F.shape[1]:4d} {lname:24s} {np.mean(s):.3f} +- {np.std(s):.3f}', flush=True)

    print('4. outer folds: the trees on the 378 features, and with the mer runs')
    pos = {s: i for i, s in enumerate(song)}
    h1, h3, h3a, r1, r9, r9a = [], [], [], [], [], []
    for fold in range(10):
        sp = json.load(open(os.path.join(runs, f'seed1-fold{fold}', 'split.json')))
        tr = [pos[s] for s in sp['train'] + sp['val'] if s in pos]
        ids = [s for s in sp['test'] if s in pos]
        te = [pos[s] for s in ids]
        yt = y_all[te]
        probs = []
        for seed in range(3):
            probs.append(trees(seed).fit(both[tr], y_all[tr]).predict_proba(both[te]))
            h1.append(f1_score(yt, probs[-1].argmax(1), average='macro'))
        p3 = np.mean(probs, 0)
        rows = {}
        for s in (1, 2, 3):
            for r in csv.DictReader(open(os.path.join(runs, f'seed{s}-fold{fold}', 'test_predictions.csv'))):
                rows.setdefault(r['id'], []).append([float(r[f'pred_Q{c}']) for c in range(1, 5)])
        pm = np.array([np.mean(rows[s], 0) for s in ids])
        p9 = (p3 + pm) / 2
        h3.append(f1_score(yt, p3.argmax(1), average='macro'))
        h3a.append(accuracy_score(yt, p3.argmax(1)))
        r1.append(f1_score(yt, pm.argmax(1), average='macro'))
        r9.append(f1_score(yt, p9.argmax(1), average='macro'))
        r9a.append(accuracy_score(yt, p9.argmax(1)))
        print(f'  fold {fold}: {len(te)} clips, H3 {h3[-1]:.3f}, R1 {r1[-1]:.3f}, R9 {r9[-1]:.3f}', flush=True)
    ms = lambda v: f'{st.mean(v):.3f} +- {st.stdev(v):.3f}'
    print(f'  H1 (30 fits) {ms(h1)}\n  H3 {ms(h3)} (accuracy {ms(h3a)})\n  R1 (mer) {ms(r1)}\n'
          f'  R9 {ms(r9)} (accuracy {ms(r9a)})')
    dd = [a - b for a, b in zip(r9, r1)]
    print(f'  R9 - R1 {st.mean(dd):+.3f} (se {st.stdev(dd) / len(dd) ** 0.5:.3f}, better on {sum(x > 0 for x in dd)}/10)')


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit('usage: 4q_side_checks.py 4Q_ROOT FEATURES.npz RUNS')
    main(*sys.argv[1:])
