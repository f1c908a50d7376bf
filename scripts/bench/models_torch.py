#!/usr/bin/env python3
"""PyTorch peers of mer's issue-5 models for the side-by-side training benchmark (scripts/bench-train.sh).

Each model is written here layer for layer as in src/models/ (same sizes, same losses), trained with the same batch
size, optimiser, learning rate and random-crop loading as the mer config the benchmark runs, on the same synthetic
corpus. Log-mels (torchaudio) or waveforms are computed once before timing, as mer reads them from its cache.
Prints {"model", "torch_samples_per_second", "torch"} over the timed epochs (the first is warm-up).
  models_torch.py CORPUS --model adff|emb_cl|raw_cnn|learnable --epochs N --batch B --lr LR"""
import argparse
import csv
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio

SR, N_FFT, HOP, N_MELS, FRAMES = 22050, 1024, 1024, 40, 215


class Adff(nn.Module):  # src/models/adff.cpp
    def __init__(self, channels=4, outputs=2):
        super().__init__()
        self.channels = channels
        blocks, se, fused, c_in = [], [], 0, channels
        for i in range(4):
            c = 16 << i
            blocks.append(nn.Sequential(nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                                        nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2)))
            se.append(nn.ModuleDict({"squeeze": nn.Linear(c, max(1, c // 4)), "excite": nn.Linear(max(1, c // 4), c),
                                     "score": nn.Linear(c, 1)}))
            c_in, fused = c, fused + c
        self.blocks, self.se = nn.ModuleList(blocks), nn.ModuleList(se)
        self.fuse, self.head, self.quadrant = nn.Linear(fused, 128), nn.Linear(128, outputs), nn.Linear(128, 4)

    def features(self, x):
        b, m, t = x.shape
        s = t // self.channels
        x = x[:, :, :s * self.channels].reshape(b, m, self.channels, s).permute(0, 2, 1, 3)
        levels = []
        for block, se in zip(self.blocks, self.se):
            x = block(x)
            seq = x.mean(2)
            w = torch.sigmoid(se["excite"](torch.relu(se["squeeze"](seq.mean(2)))))
            r = (seq * w.unsqueeze(2)).transpose(1, 2)
            levels.append((r * torch.softmax(se["score"](r), 1)).sum(1))
        return torch.relu(self.fuse(torch.cat(levels, 1)))

    def loss(self, x, y, quadrant):
        f = self.features(x)
        return F.mse_loss(self.head(f), y) + 0.3 * F.cross_entropy(self.quadrant(f), quadrant)


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


class EmbCl(nn.Module):  # src/models/emb_cl.cpp, music encoder "cnn"; emotion encoder "mlp" or "gru" (curves)
    def __init__(self, dim=16, curves=False):
        super().__init__()
        layers, c_in = [], N_MELS
        for c in (64, 64, 128):
            layers += [nn.Conv1d(c_in, c, 5, padding=2), nn.BatchNorm1d(c), nn.ReLU(), nn.MaxPool1d(2)]
            c_in = c
        self.convs, self.music_dense = nn.Sequential(*layers), nn.Linear(256, 128)
        self.music_heads = nn.ModuleList([nn.Linear(128, dim) for _ in range(3)])
        if curves:
            self.emotion_gru = nn.GRU(2, 32, batch_first=True)
            self.emotion = nn.Sequential(nn.Linear(64, 128), nn.ReLU())
        else:
            self.emotion = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU())
        self.curves = curves
        self.emotion_heads = nn.ModuleList([nn.Linear(128, dim) for _ in range(3)])

    def loss(self, x, y, quadrant):
        x = self.convs(x)
        h = torch.relu(self.music_dense(torch.cat([x.mean(2), x.amax(2)], 1)))
        m_emb, m_mu, m_ls = (head(h) for head in self.music_heads)
        if self.curves:  # y: [batch, steps, 2]
            out = self.emotion_gru(y)[0]
            e = self.emotion(torch.cat([out.mean(1), out[:, -1]], 1))
        else:
            e = self.emotion(y)
        e_emb, e_mu, e_ls = (head(e) for head in self.emotion_heads)
        rank = rank_cost(kl_matrix(m_mu, m_ls, e_mu, e_ls), 1.0) + rank_cost(kl_matrix(e_mu, e_ls, m_mu, m_ls), 1.0)
        return 0.5 * rank - 0.5 * cca(m_emb, e_emb)


class RawCnn(nn.Module):  # src/models/raw_cnn.cpp
    def __init__(self, outputs=2):
        super().__init__()
        self.stems = nn.ModuleList([nn.Conv1d(1, 16, w, stride=16, padding=(w - 64) // 2) for w in (64, 256, 1024)])
        self.stem = nn.Sequential(nn.BatchNorm1d(48), nn.ReLU(), nn.MaxPool1d(4))
        self.branches = nn.ModuleList([nn.Conv1d(48, 32, w, padding=w // 2) for w in (3, 9, 27)])
        self.after = nn.Sequential(nn.BatchNorm1d(96), nn.ReLU(), nn.MaxPool1d(4), nn.Conv1d(96, 128, 9, padding=4),
                                   nn.BatchNorm1d(128), nn.ReLU(), nn.MaxPool1d(4), nn.AdaptiveAvgPool1d(8))
        self.dense, self.head = nn.Linear(1024 + 1, 128), nn.Linear(128, outputs)

    def loss(self, x, y, quadrant):
        rms = (x.pow(2).mean(-1, keepdim=True) + 1e-8).sqrt()  # the level split
        x = self.stem(torch.cat([s(x / rms) for s in self.stems], 1))
        x = torch.cat([self.after(torch.cat([b(x) for b in self.branches], 1)).flatten(1), rms.log().flatten(1)], 1)
        return F.mse_loss(self.head(torch.relu(self.dense(x))), y)


class QuanCnn(nn.Module):
    def __init__(self, outputs=2):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv1d(N_MELS, 32, 8), nn.Conv1d(32, 16, 8)
        self.dense, self.head = nn.Linear(16 * (((FRAMES - 7) // 4 - 7) // 4), 64), nn.Linear(64, outputs)

    def forward(self, x):
        x = torch.max_pool1d(torch.relu(self.conv1(x)), 4)
        x = torch.max_pool1d(torch.relu(self.conv2(x)), 4)
        return self.head(torch.relu(self.dense(x.flatten(1))))


class Learnable(nn.Module):  # frontend.learnable around quan_cnn (src/models/learnable_frontend.cpp)
    def __init__(self, mel_matrix):
        super().__init__()
        n = torch.arange(N_FFT, dtype=torch.float64)
        f = torch.arange(N_FFT // 2 + 1, dtype=torch.float64).unsqueeze(1)
        window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / N_FFT)
        phase = 2 * math.pi * f * n / N_FFT
        self.kernels = nn.Parameter(torch.cat([window * torch.cos(phase), -window * torch.sin(phase)]).float().unsqueeze(1))
        peak = mel_matrix.max()
        self.register_buffer("mel_scale", peak)
        self.mel = nn.Parameter(mel_matrix / peak)
        self.model = QuanCnn()

    def loss(self, x, y, quadrant):
        s = F.conv1d(x, self.kernels, stride=HOP)
        k = s.shape[1] // 2
        power = s[:, :k] ** 2 + s[:, k:] ** 2
        mel = 10 * torch.log10(torch.clamp(torch.matmul(self.mel * self.mel_scale, power), min=1e-10))
        mel = torch.maximum(mel, mel.flatten(1).amax(1).detach().view(-1, 1, 1) - 80)
        return F.mse_loss(self.model((mel - mel.mean()) / 20), y)


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
    model = {"adff": lambda: Adff(), "emb_cl": lambda: EmbCl(), "emb_cl_gru": lambda: EmbCl(curves=True), "raw_cnn": lambda: RawCnn(),
             "learnable": lambda: Learnable(mel_t.mel_scale.fb.T.contiguous())}[a.model]()
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
