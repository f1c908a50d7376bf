"""Experiment behind docs/results.md item 10 (not part of mer): do melodic, note, texture and expressive features
(the kind Panda et al. 2018 added to the standard ones) help on the 4Q copy in ../shared?

Computes, for every clip, (a) clip_stats-like log-mel statistics of the whole clip (332) and (b) 46 new features
from a harmonic-summation pitch salience (4096-point STFT, MIDI 40-88 at 0.2 semitone, 10 harmonics): predominant
pitch statistics, pitch contours, vibrato (4-8 Hz modulation) and glissando, notes and melodic intervals, polyphony
(salience peaks per frame) and peakiness, spectral skewness / kurtosis / flatness / entropy, dynamics, onsets and
tempo strength. Then scores feature sets by 5-fold artist-grouped CV (3 repetitions) **inside the training part of
one of mer's 10 folds** (train + val of its split.json); the fold's test clips are never read.

  /usr/bin/python3 scripts/experiments/4q_melodic_features.py ../shared/datasets/4Q RUN/split.json OUT.npz
needs python3-soundfile (Opus decoding), python3-scipy, python3-sklearn.
"""
import csv, os, sys, json, numpy as np, soundfile as sf
from scipy.signal import resample_poly
from scipy import sparse
from multiprocessing import Pool
SR, NFFT, HOP = 22050, 4096, 512
freqs = np.arange(NFFT // 2 + 1) * SR / NFFT
# pitch grid: MIDI 40..88 at 0.2 semitone
midi = np.arange(40, 88, 0.2)
f0s = 440 * 2 ** ((midi - 69) / 12)
H = 10
rows, cols, vals = [], [], []
for i, f in enumerate(f0s):
    for h in range(1, H + 1):
        fh = f * h
        if fh >= SR / 2 - 50: break
        b = fh * NFFT / SR
        k = int(np.floor(b)); w = b - k
        for kk, ww in ((k, 1 - w), (k + 1, w)):
            rows.append(i); cols.append(kk); vals.append(ww * 0.8 ** (h - 1))
W = sparse.csr_matrix((vals, (rows, cols)), shape=(len(f0s), len(freqs)))

# mel (like mer's frontend, approx) for baseline features
def mel_fb(n_mels=96, n_fft=2048):
    def hz2mel(f): return 2595 * np.log10(1 + f / 700)
    def mel2hz(m): return 700 * (10 ** (m / 2595) - 1)
    fr = np.arange(n_fft // 2 + 1) * SR / n_fft
    pts = mel2hz(np.linspace(hz2mel(0), hz2mel(SR / 2), n_mels + 2))
    fb = np.zeros((n_mels, len(fr)))
    for m in range(n_mels):
        l, c, r = pts[m:m + 3]
        fb[m] = np.maximum(0, np.minimum((fr - l) / (c - l), (r - fr) / (r - c)))
    return fb
MEL = mel_fb()

def stft(x, n, hop):
    w = np.hanning(n + 1)[:-1]
    x = np.pad(x, n // 2, mode='reflect')
    nf = 1 + (len(x) - n) // hop
    idx = np.arange(n)[None, :] + hop * np.arange(nf)[:, None]
    return np.abs(np.fft.rfft(x[idx] * w, axis=1)).T  # [bins, frames]

def runs(mask):
    # (start, end) of True runs
    d = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.where(d == 1)[0], np.where(d == -1)[0]))

def features(path):
    x, sr = sf.read(path, dtype='float32')
    if x.ndim > 1: x = x.mean(1)
    x = resample_poly(x, 147, 320).astype(np.float64)
    out = {}
    # --- baseline mel stats (clip_stats-like), whole clip
    S2 = stft(x, 2048, HOP) ** 2
    lm = 10 * np.log10(np.maximum(MEL @ S2, 1e-10))
    lm = np.maximum(lm, lm.max() - 80)
    d = np.diff(lm, axis=1)
    n = lm.shape[0]
    k = np.arange(20)[:, None]; m = np.arange(n)[None, :]
    dct = np.sqrt(np.where(k == 0, 1.0, 2.0) / n) * np.cos(np.pi * k * (2 * m + 1) / (2 * n))
    cep = dct @ lm
    lev = lm.mean(0); on = np.maximum(d, 0).mean(0)
    base = np.concatenate([lm.mean(1), lm.std(1), np.abs(d).mean(1), cep.mean(1), cep.std(1),
                           [lev.mean(), lev.std(), on.mean(), on.std()]])
    # --- salience
    M = stft(x, NFFT, HOP)
    Mc = np.sqrt(M)  # compressed magnitude
    sal = W @ Mc  # [pitches, frames]
    T = sal.shape[1]
    power = np.convolve(x ** 2, np.ones(HOP) / HOP, 'same')[::HOP][:T]
    rms = np.sqrt(np.pad(power, (0, T - len(power)), mode='edge') + 1e-12)
    rms_db = 20 * np.log10(rms + 1e-9)
    peak = sal.max(0); f0 = midi[sal.argmax(0)]
    ref = np.percentile(peak, 90)
    energetic = rms_db > rms_db.max() - 40
    voiced = (peak > 0.5 * ref) & energetic
    peakiness = peak / (sal.mean(0) + 1e-9)
    feats = []
    vr = voiced.mean(); feats += [vr]
    pv = f0[voiced] if voiced.sum() > 5 else f0
    feats += [pv.mean(), pv.std(), np.percentile(pv, 95) - np.percentile(pv, 5)]
    # contours: voiced runs with pitch continuity (< 1 semitone jumps)
    df = np.abs(np.diff(f0))
    cont = voiced[1:] & voiced[:-1] & (df < 1.0)
    segs = [(a, b + 1) for a, b in runs(cont) if b + 1 - a >= 8]
    seg_len = np.array([b - a for a, b in segs]) * HOP / SR if segs else np.array([0.0])
    feats += [len(segs) / (T * HOP / SR), seg_len.mean(), seg_len.std()]
    # vibrato / glissando per contour
    vib_cov, vib_ext, vib_rate, gl = [], [], [], []
    fr = SR / HOP
    for a, b in segs:
        p = f0[a:b]; L = b - a
        t = np.arange(L)
        slope = np.polyfit(t, p, 1)[0] * fr  # semitones / s
        gl.append(abs(slope))
        if L >= 17:
            kern = 9
            sm = np.convolve(np.pad(p, kern // 2, mode='edge'), np.ones(kern) / kern, 'valid')
            r = p - sm
            spec = np.abs(np.fft.rfft(r * np.hanning(L))) ** 2
            fq = np.fft.rfftfreq(L, 1 / fr)
            band = (fq >= 4) & (fq <= 8)
            frac = spec[band].sum() / (spec[1:].sum() + 1e-12)
            ext = r.std()
            isvib = frac > 0.5 and 0.1 < ext < 1.5
            vib_cov.append(L if isvib else 0)
            if isvib: vib_ext.append(ext); vib_rate.append(fq[band][spec[band].argmax()])
    vcov = sum(vib_cov) / max(1, sum(b - a for a, b in segs))
    feats += [vcov, np.mean(vib_ext) if vib_ext else 0, np.mean(vib_rate) if vib_rate else 0]
    gl = np.array(gl) if gl else np.array([0.0])
    feats += [gl.mean(), (gl > 2).mean()]
    # notes: quantised pitch within contours
    notes = []
    for a, b in segs:
        q = np.round(f0[a:b])
        start = 0
        for i in range(1, len(q) + 1):
            if i == len(q) or q[i] != q[start]:
                if i - start >= 4: notes.append((a + start, a + i, q[start]))
                start = i
    dur = T * HOP / SR
    if len(notes) > 1:
        nd = np.array([(e - s) / fr for s, e, _ in notes]); npitch = np.array([p for *_, p in notes])
        iv = np.diff(npitch); aiv = np.abs(iv)
        feats += [len(notes) / dur, nd.mean(), nd.std(), aiv.mean(), (aiv <= 2).mean(), ((aiv >= 3) & (aiv <= 4)).mean(),
                  ((aiv >= 5) & (aiv <= 7)).mean(), (aiv > 7).mean(), (iv > 0).mean() - (iv < 0).mean(), npitch.std()]
    else:
        feats += [0] * 10
    # texture: number of salience peaks > 0.3 frame max (local maxima)
    locmax = (sal[1:-1] > sal[:-2]) & (sal[1:-1] >= sal[2:]) & (sal[1:-1] > 0.3 * peak[None, :])
    npk = locmax.sum(0)[energetic]
    if len(npk) == 0: npk = np.array([0])
    feats += [npk.mean(), npk.std(), (npk <= 1).mean(), (npk == 2).mean(), (npk == 3).mean(), (npk >= 4).mean()]
    feats += [np.log(peakiness[energetic]).mean() if energetic.any() else 0, np.log(peakiness).std()]
    # spectral shape on linear magnitude
    P = M ** 2 + 1e-12
    Pn = P / P.sum(0, keepdims=True)
    cen = (freqs[:, None] * Pn).sum(0)
    sd = np.sqrt(((freqs[:, None] - cen) ** 2 * Pn).sum(0))
    skew = ((freqs[:, None] - cen) ** 3 * Pn).sum(0) / sd ** 3
    kurt = ((freqs[:, None] - cen) ** 4 * Pn).sum(0) / sd ** 4
    flat = np.exp(np.log(P).mean(0)) / P.mean(0)
    ent = -(Pn * np.log(Pn)).sum(0) / np.log(len(freqs))
    for v in (skew, np.log(kurt), flat, ent):
        v = v[energetic] if energetic.any() else v
        feats += [v.mean(), v.std()]
    # dynamics / expressive
    e = rms_db[energetic] if energetic.any() else rms_db
    tt = np.arange(len(rms_db)) / fr
    feats += [e.std(), np.percentile(e, 95) - np.percentile(e, 5), (rms_db < rms_db.max() - 20).mean(), np.polyfit(tt, rms_db, 1)[0]]
    # onset strength peaks (attack sharpness) from log-mel flux
    of = np.maximum(d, 0).sum(0)
    thr = of.mean() + of.std()
    pk = (of[1:-1] > of[:-2]) & (of[1:-1] >= of[2:]) & (of[1:-1] > thr)
    feats += [pk.sum() / dur, of[1:-1][pk].mean() if pk.any() else 0]
    # tempo-ish: autocorrelation of onset flux, best lag 0.3-1.5 s strength
    ofc = of - of.mean(); ac = np.correlate(ofc, ofc, 'full')[len(ofc) - 1:]; ac /= ac[0] + 1e-12
    lo, hi = int(0.3 * fr), int(1.5 * fr)
    feats += [ac[lo:hi].max(), (lo + ac[lo:hi].argmax()) / fr]
    return np.array(base), np.nan_to_num(np.array(feats, float))

def job(path):
    try:
        return features(path)
    except Exception as ex:  # a clip that fails is reported and left out
        print(f'{path}: {ex}', file=sys.stderr)
        return None, None


def extract(root, out):
    items = [(fn.split('.')[0], q, os.path.join(root, q, fn)) for q in ('Q1', 'Q2', 'Q3', 'Q4')
             for fn in sorted(os.listdir(os.path.join(root, q)))]
    with Pool(os.cpu_count()) as p:
        res = [(s, q, *r) for (s, q, _), r in zip(items, p.imap(job, [i[2] for i in items], chunksize=4)) if r[0] is not None]
    print(f'{len(res)} of {len(items)} clips', file=sys.stderr)
    np.savez(out, song=[r[0] for r in res], q=[r[1] for r in res], base=np.stack([r[2] for r in res]),
             new=np.stack([r[3] for r in res]))


def score(root, split_file, npz):
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.preprocessing import StandardScaler
    from sklearn.pipeline import make_pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC
    from sklearn.neural_network import MLPClassifier
    from sklearn.metrics import f1_score
    import warnings
    warnings.filterwarnings('ignore')
    d = np.load(npz)
    split = json.load(open(split_file))
    part = set(split['train']) | set(split['val'])
    assert not part & set(split['test'])
    artist = {r['Song']: r['Artist'] for r in csv.DictReader(open(os.path.join(root, 'panda_dataset_taffc_metadata.csv')))}
    idx = [i for i, s in enumerate(d['song']) if s in part]
    y, g = d['q'][idx], np.array([artist[d['song'][i]] for i in idx])
    base, new = d['base'][idx], d['new'][idx]
    print(f'{len(idx)} clips of the training part of fold {split["fold"]}; macro F1 of 5-fold artist-grouped CV x 3')
    groups = {'melody': range(0, 14), 'notes': range(14, 24), 'texture': range(24, 32), 'spectral': range(32, 40),
              'dynamics': range(40, 46)}
    sets = [('log-mel stats', base), ('new 46', new), ('log-mel stats + new 46', np.hstack([base, new]))]
    sets += [(f'log-mel stats + {k}', np.hstack([base, new[:, list(c)]])) for k, c in groups.items()]
    models = [('logistic C=0.01', lambda: LogisticRegression(C=0.01, max_iter=3000)), ('RBF SVM C=3', lambda: SVC(C=3)),
              ('MLP 128 alpha=3', lambda: MLPClassifier((128,), alpha=3.0, max_iter=300, random_state=0))]
    for name, X in sets:
        for mname, mk in models[:1] if name.startswith('log-mel stats + ') and name != 'log-mel stats + new 46' else models:
            s = [f1_score(y[te], make_pipeline(StandardScaler(), mk()).fit(X[tr], y[tr]).predict(X[te]), average='macro')
                 for rep in range(3) for tr, te in StratifiedGroupKFold(5, shuffle=True, random_state=rep).split(X, y, g)]
            print(f'  {name:26s} {X.shape[1]:4d} features  {mname:16s} {np.mean(s):.3f} +- {np.std(s):.3f}', flush=True)


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit('usage: 4q_melodic_features.py 4Q_ROOT SPLIT_JSON OUT.npz')
    root, split_file, out = sys.argv[1:]
    if not os.path.exists(out):
        extract(root, out)
    score(root, split_file, out)
