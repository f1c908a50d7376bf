#!/usr/bin/env python3
"""PyTorch peers of mer's models for the side-by-side training benchmark (scripts/bench-train.sh).

Each model is python/mer_torch's definition (the one `mer export` files load into, equal to mer's output; tested by
tests/train/test_export.cpp) with the training loss mer's trainer uses, trained with the same batch
size, optimiser, learning rate and random-crop loading as the mer config the benchmark runs, on the same synthetic
corpus. Log-mels (torchaudio) or waveforms are computed once before timing, as mer reads them from its cache.
Prints {"model", "torch_samples_per_second", "torch"} over the timed epochs (the first is warm-up).
  models_torch.py CORPUS --model adff|emb_cl|raw_cnn|learnable --epochs N --batch B --lr LR"""
import argparse
import csv
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import mer_torch  # noqa: E402  (mer's models, layer for layer)

SR, N_FFT, HOP, N_MELS, FRAMES = 22050, 1024, 1024, 40, 215


def kl_matrix(p_mu, p_ls, q_mu, q_ls):
    p_var, q_var = (p_ls.exp() + 1e-6).unsqueeze(0), (q_ls.exp() + 1e-6).unsqueeze(1)
    d = p_mu.unsqueeze(0) - q_mu.unsqueeze(1)
    return 0.5 * (q_var.log() - p_var.log() + (p_var + d * d) / q_var - 1).sum(2)


def rank_cost(s, margin):
    pos = s.diagonal().unsqueeze(1)
    return (torch.relu(pos - s + margin) * (1 - torch.eye(len(s))) + 1e-3 * pos.abs()).sum()


def cca(h1, h2, r=1e-4):
    m = h1.shape[0]
    a, b = h1 - h1.mean(0), h2 - h2.mean(0)
    s11 = a.T @ a / (m - 1) + r * torch.eye(h1.shape[1])
    s22 = b.T @ b / (m - 1) + r * torch.eye(h2.shape[1])
    s12 = a.T @ b / (m - 1)
    left = torch.linalg.solve_triangular(torch.linalg.cholesky(s11), s12, upper=False)
    t = torch.linalg.solve_triangular(torch.linalg.cholesky(s22), left.T, upper=False).T
    return torch.linalg.svdvals(t).sum()


def emb_cl_loss(model, x, y, curves):  # the training loss of src/models/emb_cl.cpp (lambda 0.5, margin 1)
    m_emb, m_mu, m_ls = model.music(x)
    e_emb, e_mu, e_ls = model.emotion_curve(y) if curves else model.emotion(y)
    rank = rank_cost(kl_matrix(m_mu, m_ls, e_mu, e_ls), 1.0) + rank_cost(kl_matrix(e_mu, e_ls, m_mu, m_ls), 1.0)
    return 0.5 * rank - 0.5 * cca(m_emb, e_emb)


class Peer(nn.Module):
    """A model of python/mer_torch (mer's exact definitions) with the training loss mer's trainer uses for it."""

    def __init__(self, kind, model, curves=False):
        super().__init__()
        self.kind, self.model, self.curves = kind, model, curves

    def loss(self, x, y, quadrant):
        if self.kind == "adff":  # multi-task: MSE + 0.3 x quadrant cross-entropy
            f = self.model.features(x)
            return F.mse_loss(self.model.head(f), y) + 0.3 * F.cross_entropy(self.model.quadrant_head(f), quadrant)
        if self.kind == "emb_cl":
            return emb_cl_loss(self.model, x, y, self.curves)
        return F.mse_loss(self.model(x), y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("--model", required=True, choices=["adff", "emb_cl", "emb_cl_gru", "raw_cnn", "learnable"])
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    rows = list(csv.DictReader(open(os.path.join(a.corpus, "annotations", "static_annotations.csv"))))
    mel_t = torchaudio.transforms.MelSpectrogram(sample_rate=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                                                 center=False, mel_scale="slaney", norm="slaney")
    to_db = torchaudio.transforms.AmplitudeToDB("power", top_db=80.0)
    waveform = a.model in ("raw_cnn", "learnable")
    crop = {"raw_cnn": 44100, "learnable": (FRAMES - 1) * HOP + N_FFT}.get(a.model, FRAMES)
    inputs, labels = [], []
    for r in rows:
        x, sr = torchaudio.load(os.path.join(a.corpus, "clips_45seconds", r["song_id"] + ".mp3"))
        x = torchaudio.functional.resample(x.mean(0), sr, SR) if sr != SR else x.mean(0)
        if waveform:
            inputs.append(((x - x.mean()) / x.std()).unsqueeze(0) if a.model == "raw_cnn" else x.unsqueeze(0))
        else:
            m = to_db(mel_t(x))
            inputs.append((m - m.mean(1, keepdim=True)) / m.std(1, keepdim=True).clamp_min(1e-6))
        labels.append(torch.tensor([float(r["mean_valence"]), float(r["mean_arousal"])]))
    # emb_cl_gru (the dynamic task): each crop's valence/arousal curve at 2 Hz, interpolated between the 2 Hz
    # annotations from 15 s (the nearest one outside them), z-scored, as mer's trainer makes it.
    steps = round(2 * crop * HOP / SR)
    curves = {}
    if a.model == "emb_cl_gru":
        for name in ("valence", "arousal"):
            for r in csv.DictReader(open(os.path.join(a.corpus, "annotations", name + "_cont_average.csv"))):
                values = [float(v) for k, v in r.items() if k != "song_id" and v not in ("", None)]
                curves.setdefault(r["song_id"], []).append(torch.tensor(values))
    frontend = {"sample_rate": SR, "n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS, "center": False,
                "pad_mode": "constant", "power": 2.0, "log": "db", "log1p_scale": 10000.0, "top_db": 80.0}
    spec = {"n_mels": N_MELS, "frames": FRAMES, "outputs": 2, "task": "regression", "channels": 4, "filters": 16,
            "quadrant_weight": 0.3, "embedding_dim": 16, "music_encoder": "cnn",
            "emotion_encoder": "gru" if a.model == "emb_cl_gru" else "mlp", "curve_steps": steps, "frontend": frontend}
    if a.model == "learnable":
        inner = mer_torch.MODELS["quan_cnn"](spec)
        net = mer_torch.WithLearnableFrontend(spec, inner)
        net.frontend.init_fourier(mel_t.mel_scale.fb.T.contiguous())
        with torch.no_grad():  # mer standardises with the fixed log-mel's per-band training statistics
            mels = torch.cat([to_db(mel_t(w[0])) for w in inputs[:50]], 1)
            net.band_mean.copy_(mels.mean(1))
            net.band_std.copy_(mels.std(1).clamp_min(1e-6))
        model = Peer("plain", net)
    else:
        kind = {"adff": "adff", "emb_cl": "emb_cl", "emb_cl_gru": "emb_cl", "raw_cnn": "plain"}[a.model]
        model = Peer(kind, mer_torch.build("emb_cl" if kind == "emb_cl" else a.model, spec), a.model == "emb_cl_gru")
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    order = list(range(len(inputs)))
    samples, seconds = 0, 0.0
    for epoch in range(a.epochs):
        start = time.perf_counter()
        perm = torch.randperm(len(order)).tolist()
        n = 0
        for i in range(0, len(perm), a.batch):
            batch = perm[i:i + a.batch]
            if len(batch) < 2:
                continue
            xs, starts = [], []
            for j in batch:
                f = inputs[j]
                s = torch.randint(0, max(1, f.shape[1] - crop + 1), (1,)).item()
                starts.append(s)
                c = f[:, s:s + crop]
                xs.append(F.pad(c, (0, crop - c.shape[1])))
            x = torch.stack(xs)
            y = (torch.stack([labels[j] for j in batch]) - 5) / 2
            if a.model == "emb_cl_gru":
                ys = []
                for j, s in zip(batch, starts):
                    t = (s + (torch.arange(steps) + 0.5) * crop / steps) * HOP / SR  # seconds
                    pos = ((t - 15.0) / 0.5).clamp(0, len(curves[rows[j]["song_id"]][0]) - 1)
                    lo = pos.floor().long()
                    hi = (lo + 1).clamp(max=len(curves[rows[j]["song_id"]][0]) - 1)
                    w = pos - lo
                    ys.append(torch.stack([c[lo] * (1 - w) + c[hi] * w for c in curves[rows[j]["song_id"]]], 1))
                y = (torch.stack(ys) - 0.5) / 0.25
            quadrant = ((y[:, 0] < 0).long() + 2 * (y[:, 1] < 0).long())
            opt.zero_grad()
            loss = model.loss(x, y, quadrant)
            loss.backward()
            opt.step()
            n += len(batch)
        if epoch > 0:
            samples += n
            seconds += time.perf_counter() - start
    print(json.dumps({"model": a.model, "torch_samples_per_second": samples / seconds, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
