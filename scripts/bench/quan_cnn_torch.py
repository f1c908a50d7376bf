#!/usr/bin/env python3
"""PyTorch peers of mer's quan_cnn for the side-by-side benchmarks.

train:   the same model, batch size, optimiser and random-crop data loading as `mer train --config configs/demo.json`
         on the same synthetic corpus; log-mels are computed once with torchaudio before timing (mer reads them from
         its feature cache); prints training samples/s over the timed epochs.
predict: the whole `mer predict` job for one file — decode, resample to 22.05 kHz, log-mel, sliding windows,
         model — as a Python program would do it with torchaudio; time it from outside (process start included).
catalogue: the same for every file of a list in one process, one JSON line per song to an output file (the job of
         `mer predict --list FILES.txt --out RESULTS.jsonl`)."""
import argparse
import csv
import glob
import json
import os
import time

import torch
import torchaudio


class QuanCnn(torch.nn.Module):
    def __init__(self, n_mels=40, frames=215, outputs=2):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(n_mels, 32, 8)
        self.conv2 = torch.nn.Conv1d(32, 16, 8)
        length = ((frames - 7) // 4 - 7) // 4
        self.dense = torch.nn.Linear(16 * length, 64)
        self.head = torch.nn.Linear(64, outputs)

    def forward(self, x):
        x = torch.max_pool1d(torch.relu(self.conv1(x)), 4)
        x = torch.max_pool1d(torch.relu(self.conv2(x)), 4)
        return self.head(torch.relu(self.dense(x.flatten(1))))


def frontend(sample_rate=22050):
    mel = torchaudio.transforms.MelSpectrogram(sample_rate=sample_rate, n_fft=1024, hop_length=1024, n_mels=40,
                                               center=False, mel_scale="slaney", norm="slaney")
    db = torchaudio.transforms.AmplitudeToDB("power", top_db=80.0)
    return lambda x: db(mel(x))


def load(path, sample_rate=22050):
    x, sr = torchaudio.load(path)
    x = x.mean(0)
    if sr != sample_rate:
        x = torchaudio.functional.resample(x, sr, sample_rate)
    return x


class Crops(torch.utils.data.Dataset):
    def __init__(self, features, labels, frames):
        self.features, self.labels, self.frames = features, labels, frames

    def __len__(self):
        return len(self.features)

    def __getitem__(self, i):
        f = self.features[i]
        start = torch.randint(0, max(1, f.shape[1] - self.frames + 1), (1,)).item()
        return f[:, start:start + self.frames], self.labels[i]


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    rows = list(csv.DictReader(open(os.path.join(args.corpus, "annotations", "static_annotations.csv"))))
    to_mel = frontend()
    features, labels = [], []
    for r in rows:
        m = to_mel(load(os.path.join(args.corpus, "clips_45seconds", r["song_id"] + ".mp3")))
        features.append((m - m.mean()) / m.std())
        labels.append(torch.tensor([float(r["mean_valence"]), float(r["mean_arousal"])]))
    loader = torch.utils.data.DataLoader(Crops(features, labels, 215), batch_size=8, shuffle=True)
    model = QuanCnn()
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    samples, seconds = 0, 0.0
    for epoch in range(args.epochs):
        start = time.perf_counter()
        n = 0
        for x, y in loader:
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), (y - 5) / 2)
            loss.backward()
            opt.step()
            n += len(x)
        if epoch > 0:  # the first epoch warms up, as mer's is excluded too
            samples += n
            seconds += time.perf_counter() - start
    print(json.dumps({"torch_samples_per_second": samples / seconds, "torch": torch.__version__}))


def score(model, to_mel, path):
    m = to_mel(load(path))
    m = (m - m.mean()) / m.std()
    windows = [m[:, s:s + 215] for s in range(0, max(1, m.shape[1] - 215) + 1, 107)]
    with torch.inference_mode():
        out = torch.cat([model(torch.stack(windows[i:i + 16])) for i in range(0, len(windows), 16)])
    return {"windows": len(windows), "track": out.mean(0).tolist()}


def predict(args):
    torch.set_num_threads(args.threads)
    print(json.dumps(score(QuanCnn().eval(), frontend(), args.file)))


def catalogue(args):
    torch.set_num_threads(args.threads)
    model, to_mel = QuanCnn().eval(), frontend()
    files = [line.strip() for line in open(args.list) if line.strip() and not line.startswith("#")]
    with open(args.out, "w") as out:
        for path in files:
            out.write(json.dumps({"file": path, **score(model, to_mel, path)}) + "\n")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="job", required=True)
    t = sub.add_parser("train")
    t.add_argument("corpus")
    t.add_argument("--epochs", type=int, default=6)
    t.add_argument("--threads", type=int, default=os.cpu_count())
    q = sub.add_parser("predict")
    q.add_argument("file")
    q.add_argument("--threads", type=int, default=os.cpu_count())
    c = sub.add_parser("catalogue")
    c.add_argument("list")
    c.add_argument("out")
    c.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    {"train": train, "predict": predict, "catalogue": catalogue}[a.job](a)
