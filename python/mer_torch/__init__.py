"""mer's models in PyTorch, loaded from `mer export --run DIR --out model.pt`.

    import mer_torch
    m = mer_torch.load("model.pt")      # an nn.Module in eval mode, weights from the run's best checkpoint
    y = m(x)                            # raw outputs, as mer's model computes them (logits, z-scores, ...)
    m.check()                           # mer's own output on the file's example input, compared (max |diff|)
    m.meta                              # task, output names, label and input normalisation, frontend, run config
    m.standardise(logmel)               # (logmel - feature_mean) / feature_std per mel band, as mer feeds the model
    m.to_output_space(y)                # softmax (classes), sigmoid (tags) or z-scores back to the labels' scale

Input: a standardised log-mel [batch, n_mels, frames] (mer's frontend, then `standardise`), or for `raw_cnn` and
the learnable frontend the waveform [batch, 1, samples] at the frontend's sample rate. A run on pretrained embeddings
(meta["pretrained"] names its layers) reads their values per 3 s patch [batch, rows, patches], the layers stacked
in that order (`mer embed --model M --layer L` writes each as [patches, dims]), then `standardise`; with
"fine_tune" the networks are inside the module (Musicnn, Vgg) and it reads their log-mel [batch, 96, patches x 187]
(mer's frontend with the networks' settings; no `standardise`). Every layer and parameter
name follows src/models/*.cpp, so the exported state dict loads with strict=True.
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["load", "build", "MODELS"]


class QuanCnn(nn.Module):  # src/models/cnn.cpp
    def __init__(self, spec, filters, width, pool):
        super().__init__()
        channels, length = spec["n_mels"], spec["frames"]
        for i, f in enumerate(filters):
            self.add_module(f"conv{i + 1}", nn.Conv1d(channels, f, width))
            channels, length = f, (length - width + 1) // pool
        self.n_convs, self.pool = len(filters), pool
        self.dense = nn.Linear(channels * length, 64)
        self.head = nn.Linear(64, spec["outputs"])

    def forward(self, x):
        for i in range(self.n_convs):
            x = F.max_pool1d(torch.relu(getattr(self, f"conv{i + 1}")(x)), self.pool)
        return self.head(torch.relu(self.dense(x.flatten(1))))


class LiuCnn(nn.Module):  # src/models/cnn.cpp
    def __init__(self, spec):
        super().__init__()
        channels = 1
        for i in range(3):
            filters = 32 << i
            self.add_module(f"conv{i + 1}", nn.Conv2d(channels, filters, 3, padding=1))
            self.add_module(f"bn{i + 1}", nn.BatchNorm2d(filters))
            channels = filters
        self.head = nn.Linear(channels, spec["outputs"])

    def forward(self, x):
        x = x.unsqueeze(1)
        for i in range(3):
            x = F.max_pool2d(torch.relu(getattr(self, f"bn{i + 1}")(getattr(self, f"conv{i + 1}")(x))), 2)
        return self.head(x.mean((2, 3)))


class ClipStats(nn.Module):  # src/models/clip_stats.cpp
    MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
    MINOR = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]

    def __init__(self, spec):
        super().__init__()
        self.chroma = spec.get("frontend", {}).get("chroma", 0)
        n_mels = spec["n_mels"] - self.chroma
        self.n_mels = n_mels
        cepstra = min(20, n_mels)
        dct = torch.empty(cepstra, n_mels)
        for k in range(cepstra):
            scale = math.sqrt((1.0 if k == 0 else 2.0) / n_mels)
            for m in range(n_mels):
                dct[k, m] = scale * math.cos(math.pi * k * (2 * m + 1) / (2.0 * n_mels))
        self.register_buffer("dct", dct)
        features = 3 * n_mels + 2 * cepstra + 4
        if self.chroma:
            profiles = torch.empty(24, 12)
            order = torch.empty(24, 12, dtype=torch.long)
            for key in range(24):
                p, tonic = (self.MAJOR if key < 12 else self.MINOR), key % 12
                for c in range(12):
                    profiles[key, c] = p[(c - tonic) % 12]
                    order[key, c] = (tonic + c) % 12
            profiles = profiles - profiles.mean(1, keepdim=True)
            self.register_buffer("key_profiles", profiles / profiles.norm(2, 1, keepdim=True))
            self.register_buffer("key_order", order)
            features += 28
        self.norm = nn.BatchNorm1d(features)
        self.dense = nn.Linear(features, 128)
        self.head = nn.Linear(128, spec["outputs"])

    def tonal(self, c):
        mean, sd = c.mean(2), c.std(2, unbiased=False)
        centred = mean - mean.mean(1, keepdim=True)
        r = torch.matmul(centred / (centred.norm(2, 1, keepdim=True) + 1e-8), self.key_profiles.t())
        best_major = r[:, :12].max(1, keepdim=True)[0]
        best_minor = r[:, 12:].max(1, keepdim=True)[0]
        order = self.key_order.index_select(0, r.argmax(1))
        flux = (c[:, :, 1:] - c[:, :, :-1]).abs().mean((1, 2)).unsqueeze(1)
        return torch.cat([best_major, best_minor, best_major - best_minor, mean.gather(1, order),
                          sd.gather(1, order), flux], 1)

    def statistics(self, inputs):
        x = inputs[:, :self.n_mels]
        diff = x[:, :, 1:] - x[:, :, :-1]
        cepstra = torch.matmul(self.dct, x)
        level, onset = x.mean(1), torch.relu(diff).mean(1)
        stats = torch.cat([x.mean(2), x.std(2, unbiased=False), diff.abs().mean(2), cepstra.mean(2),
                           cepstra.std(2, unbiased=False), level.mean(1, keepdim=True),
                           level.std(1, unbiased=False, keepdim=True), onset.mean(1, keepdim=True),
                           onset.std(1, unbiased=False, keepdim=True)], 1)
        return torch.cat([stats, self.tonal(inputs[:, self.n_mels:])], 1) if self.chroma else stats

    def forward(self, x):
        return self.head(torch.relu(self.dense(self.norm(self.statistics(x)))))


class StatsHead(nn.Module):  # src/models/stats_head.cpp
    def __init__(self, spec):
        super().__init__()
        features, hidden = 2 * spec["n_mels"], spec.get("hidden", 0)
        self.dropout = nn.Dropout(spec.get("dropout", 0.0))
        self.dense = nn.Linear(features, hidden) if hidden > 0 else None
        self.head = nn.Linear(hidden if hidden > 0 else features, spec["outputs"])

    def forward(self, x):
        mean = x.mean(2)
        sd = ((x - mean.unsqueeze(2)) ** 2).mean(2).add(1e-6).sqrt()
        h = self.dropout(torch.cat([mean, sd], 1))
        if self.dense is not None:
            h = self.dropout(torch.relu(self.dense(h)))
        return self.head(h)


class ConvReluBn(nn.Module):  # src/models/musicnn.cpp: conv -> ReLU -> batch norm (TF's epsilon 1e-3)
    def __init__(self, c_in, c_out, k_time, k_freq):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, (k_time, k_freq))
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3)

    def forward(self, x):
        return self.bn(torch.relu(self.conv(x)))


def _pad_time(x, before, after):
    return F.pad(x, (0, 0, before, after))


def _pad_same(x, k):  # TF 'same' for a stride-1 kernel of k frames
    return _pad_time(x, (k - 1) // 2, k - 1 - (k - 1) // 2)


class Musicnn(nn.Module):  # src/models/musicnn.cpp (Pons & Serra 2019), patches [P, 187, 96] -> every layer
    def __init__(self):
        super().__init__()
        self.input_bn = nn.BatchNorm2d(1, eps=1e-3)
        self.timbral74, self.timbral77 = ConvReluBn(1, 204, 7, 38), ConvReluBn(1, 204, 7, 67)
        self.temporal128, self.temporal64 = ConvReluBn(1, 51, 128, 1), ConvReluBn(1, 51, 64, 1)
        self.temporal32 = ConvReluBn(1, 51, 32, 1)
        self.mid1, self.mid2, self.mid3 = ConvReluBn(1, 64, 7, 561), ConvReluBn(1, 64, 7, 64), ConvReluBn(1, 64, 7, 64)
        self.pool_bn = nn.BatchNorm1d(1506, eps=1e-3)
        self.penultimate = nn.Linear(1506, 200)
        self.penultimate_bn = nn.BatchNorm1d(200, eps=1e-3)
        self.logits = nn.Linear(200, 50)

    def layers(self, patches):
        x = self.input_bn(patches.unsqueeze(1))
        timbral = _pad_time(x, 3, 3)
        front = torch.cat([self.timbral74(timbral).amax(3), self.timbral77(timbral).amax(3),
                           self.temporal128(_pad_same(x, 128)).amax(3), self.temporal64(_pad_same(x, 64)).amax(3),
                           self.temporal32(_pad_same(x, 32)).amax(3)], 1)

        def mid(block, t):
            return block(_pad_time(t.transpose(1, 2).unsqueeze(1), 3, 3)).squeeze(3)

        m1 = mid(self.mid1, front)
        m2 = mid(self.mid2, m1) + m1
        m3 = mid(self.mid3, m2) + m2
        features = torch.cat([front, m1, m2, m3], 1)
        max_pool, mean_pool = features.amax(2), features.mean(2)
        pooled = self.pool_bn(torch.stack([max_pool, mean_pool], 2).flatten(1))
        penultimate = self.penultimate_bn(torch.relu(self.penultimate(pooled)))
        return {"max_pool": max_pool, "mean_pool": mean_pool, "penultimate": penultimate,
                "taggram": torch.sigmoid(self.logits(penultimate))}


class Vgg(nn.Module):  # src/models/musicnn.cpp: musicnn's VGG baseline
    POOLS = [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))]

    def __init__(self):
        super().__init__()
        self.input_bn = nn.BatchNorm2d(1, eps=1e-3)
        for i in range(5):
            self.add_module(f"conv{i + 1}", ConvReluBn(1 if i == 0 else 128, 128, 3, 3))
        self.logits = nn.Linear(256, 50)

    def layers(self, patches):
        x = self.input_bn(patches.unsqueeze(1))
        for i, (kernel, stride) in enumerate(self.POOLS):
            x = F.max_pool2d(getattr(self, f"conv{i + 1}")(F.pad(x, (1, 1, 1, 1))), kernel, stride)
        pool5 = x.permute(0, 2, 3, 1).flatten(1)
        return {"pool5": pool5, "taggram": torch.sigmoid(self.logits(pool5))}


class WithPretrainedNetworks(nn.Module):  # src/models/pretrained_frontend.cpp (frontend.pretrained.fine_tune)
    def __init__(self, spec, model):
        super().__init__()
        self.layer_names = spec["pretrained_layers"]
        for dotted in self.layer_names:
            name = dotted.split(".")[0]
            if not hasattr(self, name):
                self.add_module(name, Musicnn() if name.endswith("musicnn") else Vgg())
        self.model = model
        self.register_buffer("row_mean", torch.zeros(spec["n_mels"]))
        self.register_buffer("row_std", torch.ones(spec["n_mels"]))

    def features(self, logmel):  # [batch, 96, patches x 187] -> [batch, rows, patches], standardised
        batch, mels, frames = logmel.shape
        patches = frames // 187
        x = logmel.transpose(1, 2).reshape(batch * patches, 187, mels)
        outputs = {}
        for dotted in self.layer_names:
            name = dotted.split(".")[0]
            if name not in outputs:
                outputs[name] = getattr(self, name).layers(x)
        values = [outputs[d.split(".")[0]][d.split(".")[1]] for d in self.layer_names]
        rows = torch.cat(values, 1).view(batch, patches, -1).transpose(1, 2)
        return (rows - self.row_mean.view(1, -1, 1)) / self.row_std.view(1, -1, 1)

    def forward(self, logmel):
        return self.model(self.features(logmel))


class VggBlock(nn.Module):  # src/models/adff.cpp
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(c_in, c_out, 3, padding=1), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.bn1, self.bn2 = nn.BatchNorm2d(c_out), nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return F.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)


class SeTemporalAttention(nn.Module):  # src/models/adff.cpp
    def __init__(self, channels):
        super().__init__()
        self.squeeze = nn.Linear(channels, max(1, channels // 4))
        self.excite = nn.Linear(max(1, channels // 4), channels)
        self.score = nn.Linear(channels, 1)

    def forward(self, level):
        sequence = level.mean(2)
        weights = torch.sigmoid(self.excite(torch.relu(self.squeeze(sequence.mean(2)))))
        reweighted = (sequence * weights.unsqueeze(2)).transpose(1, 2)
        return (reweighted * torch.softmax(self.score(reweighted), 1)).sum(1)


class Adff(nn.Module):  # src/models/adff.cpp
    def __init__(self, spec):
        super().__init__()
        self.channels = spec["channels"]
        c_in, fused = self.channels, 0
        for i in range(4):
            c_out = spec.get("filters", 16) << i
            self.add_module(f"block{i + 1}", VggBlock(c_in, c_out))
            self.add_module(f"se{i + 1}", SeTemporalAttention(c_out))
            c_in, fused = c_out, fused + c_out
        self.fuse = nn.Linear(fused, 128)
        self.head = nn.Linear(128, spec["outputs"])
        if spec.get("quadrant_weight", 0) > 0 and spec["task"] in ("regression", "dynamic"):
            self.quadrant_head = nn.Linear(128, 4)  # multi-task training only

    def features(self, x):
        """The fused spatial-temporal feature [batch, 128] (the heads' input)."""
        b, m, t = x.shape
        s = t // self.channels
        x = x[:, :, :s * self.channels].reshape(b, m, self.channels, s).permute(0, 2, 1, 3)
        levels = []
        for i in range(4):
            x = getattr(self, f"block{i + 1}")(x)
            levels.append(getattr(self, f"se{i + 1}")(x))
        return torch.relu(self.fuse(torch.cat(levels, 1)))

    def forward(self, x):
        return self.head(self.features(x))


class RawCnn(nn.Module):  # src/models/raw_cnn.cpp
    def __init__(self, spec):
        super().__init__()
        self.spectrogram = bool(spec.get("learnable_frontend", False))
        if self.spectrogram:
            c_in, extra = spec["n_mels"], 0
        else:
            for width in (64, 256, 1024):
                self.add_module(f"stem{width}", nn.Conv1d(1, 16, width, stride=16, padding=(width - 64) // 2))
            self.stem_bn = nn.BatchNorm1d(48)
            c_in, extra = 48, 1
        for width in (3, 9, 27):
            self.add_module(f"branch{width}", nn.Conv1d(c_in, 32, width, padding=width // 2))
        self.branch_bn = nn.BatchNorm1d(96)
        self.conv = nn.Conv1d(96, 128, 9, padding=4)
        self.conv_bn = nn.BatchNorm1d(128)
        self.dense = nn.Linear(128 * 8 + extra, 128)
        self.head = nn.Linear(128, spec["outputs"])

    def forward(self, x):
        level = None
        if not self.spectrogram:
            rms = (x.pow(2).mean(-1, keepdim=True) + 1e-8).sqrt()
            x = x / rms
            x = torch.cat([getattr(self, f"stem{w}")(x) for w in (64, 256, 1024)], 1)
            x = F.max_pool1d(torch.relu(self.stem_bn(x)), 4)
            level = rms.log().flatten(1)
        x = torch.cat([getattr(self, f"branch{w}")(x) for w in (3, 9, 27)], 1)
        x = F.max_pool1d(torch.relu(self.branch_bn(x)), 4)
        x = F.max_pool1d(torch.relu(self.conv_bn(self.conv(x))), 4)
        x = F.adaptive_avg_pool1d(x, 8).flatten(1)
        if level is not None:
            x = torch.cat([x, level], 1)
        return self.head(torch.relu(self.dense(x)))


def kl_matrix(p_mu, p_log_sigma, q_mu, q_log_sigma):
    """kl[i][j] = KL(N(p_j) || N(q_i)), variances exp(log_sigma) + 1e-6 (src/models/losses.cpp)."""
    p_var = (p_log_sigma.exp() + 1e-6).unsqueeze(0)
    q_var = (q_log_sigma.exp() + 1e-6).unsqueeze(1)
    diff = p_mu.unsqueeze(0) - q_mu.unsqueeze(1)
    return 0.5 * (q_var.log() - p_var.log() + (p_var + diff * diff) / q_var - 1.0).sum(2)


class GaussianHeads(nn.Module):
    def __init__(self, c_in, dim):
        super().__init__()
        self.embedding, self.mu, self.log_sigma = nn.Linear(c_in, dim), nn.Linear(c_in, dim), nn.Linear(c_in, dim)

    def forward(self, h):
        return self.embedding(h), self.mu(h), self.log_sigma(h)


class AuthorsMlp(nn.Module):  # src/models/emb_cl.cpp: the EMER-CL authors' MLP (softplus, dropout)
    def __init__(self, c_in, first, out):
        super().__init__()
        for i, size in enumerate((first, 512, 512, 1024, out)):
            self.add_module(f"fc{i + 1}", nn.Linear(c_in, size))
            c_in = size

    def forward(self, h):
        for i in range(5):
            h = F.softplus(getattr(self, f"fc{i + 1}")(h))
        return h


def final_states(gru, sequence):
    h = gru(sequence)[1]
    return torch.cat([h[0], h[1]], 1)


class EmbCl(nn.Module):  # src/models/emb_cl.cpp
    def __init__(self, spec):
        super().__init__()
        dim, self.curve_steps = spec["embedding_dim"], spec.get("curve_steps", 0)
        self.music_encoder = spec["music_encoder"]
        self.emotion_bigru = None
        if self.music_encoder in ("mlp", "bigru"):
            if self.music_encoder == "bigru":
                f = spec["frontend"]
                self.vggish_pool = max(1, round(0.96 * f["sample_rate"] / f["hop_length"]))
                self.music_bigru = nn.GRU(spec["n_mels"], 512, batch_first=True, bidirectional=True)
                self.music_mlp = AuthorsMlp(1024, 512, dim)
            else:
                self.music_mlp = AuthorsMlp(spec["n_mels"], 256, dim)
            self.music_heads = GaussianHeads(dim, dim)
        elif self.music_encoder == "cnn":
            c_in = spec["n_mels"]
            for i, c_out in enumerate((64, 64, 128)):
                self.add_module(f"conv{i + 1}", nn.Conv1d(c_in, c_out, 5, padding=2))
                self.add_module(f"bn{i + 1}", nn.BatchNorm1d(c_out))
                c_in = c_out
            self.music_dense = nn.Linear(2 * c_in, 128)
        else:
            self.gru = nn.GRU(spec["n_mels"], 64, batch_first=True)
            self.music_dense = nn.Linear(64, 128)
        if not hasattr(self, "music_heads"):
            self.music_heads = GaussianHeads(128, dim)
        if spec["emotion_encoder"] == "bigru":
            self.emotion_gru = None
            self.emotion_bigru = nn.GRU(2, 512, batch_first=True, bidirectional=True)
            self.emotion_mlp = AuthorsMlp(1024, 512, dim)
            self.emotion_heads = GaussianHeads(dim, dim)
            return
        if spec["emotion_encoder"] == "mlp":
            self.emotion1, self.emotion2 = nn.Linear(2, 64), nn.Linear(64, 128)
            self.emotion_gru = None
        else:
            self.emotion_gru = nn.GRU(2, 32, batch_first=True)
            self.emotion2 = nn.Linear(64, 128)
        self.emotion_heads = GaussianHeads(128, dim)

    def music(self, x):
        if self.music_encoder == "mlp":
            return self.music_heads(self.music_mlp(x.mean(2)))
        if self.music_encoder == "bigru":
            steps = F.avg_pool1d(x, self.vggish_pool).transpose(1, 2)
            return self.music_heads(self.music_mlp(final_states(self.music_bigru, steps)))
        if self.music_encoder == "gru":
            h = self.gru(F.avg_pool1d(x, 4).transpose(1, 2))[0].mean(1)
        else:
            for i in range(3):
                x = F.max_pool1d(torch.relu(getattr(self, f"bn{i + 1}")(getattr(self, f"conv{i + 1}")(x))), 2)
            h = torch.cat([x.mean(2), x.max(2)[0]], 1)
        return self.music_heads(torch.relu(self.music_dense(h)))

    def emotion(self, va):
        if self.emotion_gru is not None or self.emotion_bigru is not None:
            return self.emotion_curve(va.unsqueeze(1).expand(va.shape[0], self.curve_steps, 2).contiguous())
        return self.emotion_heads(torch.relu(self.emotion2(torch.relu(self.emotion1(va)))))

    def emotion_curve(self, curve):
        if self.emotion_bigru is not None:
            return self.emotion_heads(self.emotion_mlp(final_states(self.emotion_bigru, curve)))
        if self.emotion_gru is None:
            return self.emotion(curve.mean(1))
        out = self.emotion_gru(curve)[0]
        return self.emotion_heads(torch.relu(self.emotion2(torch.cat([out.mean(1), out[:, -1]], 1))))

    def forward(self, x):
        """Valence/arousal (z-scores) from the music side: the KL-weighted mean of a 51 x 51 emotion grid."""
        _, mu, log_sigma = self.music(x)
        side = 11 if self.emotion_bigru is not None else 51
        axis = torch.linspace(-2.5, 2.5, side, dtype=mu.dtype, device=mu.device)
        grid = torch.stack([axis.repeat_interleave(side), axis.repeat(side)], 1)
        _, e_mu, e_log_sigma = self.emotion(grid)
        return torch.softmax(-kl_matrix(e_mu, e_log_sigma, mu, log_sigma), 1) @ grid


class LearnableFrontend(nn.Module):  # src/models/learnable_frontend.cpp
    def __init__(self, frontend, n_freqs, n_mels):
        super().__init__()
        self.config = frontend
        self.stft_kernels = nn.Parameter(torch.zeros(2 * n_freqs, 1, frontend["n_fft"]))
        self.mel_matrix = nn.Parameter(torch.zeros(n_mels, n_freqs))
        self.register_buffer("mel_scale", torch.tensor(1.0))

    @torch.no_grad()
    def init_fourier(self, mel_matrix):
        """mer's initialisation (training from scratch): periodic Hann x cos / -sin kernels (win_length = n_fft),
        the mel matrix [n_mels, n_freqs] stored relative to its largest weight."""
        n_fft = self.config["n_fft"]
        n = torch.arange(n_fft, dtype=torch.float64)
        f = torch.arange(n_fft // 2 + 1, dtype=torch.float64).unsqueeze(1)
        window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / n_fft)
        phase = 2 * math.pi * f * n / n_fft
        self.stft_kernels.copy_(torch.cat([window * torch.cos(phase), -window * torch.sin(phase)]).float().unsqueeze(1))
        peak = mel_matrix.max().clamp_min(1e-12)
        self.mel_scale.copy_(peak)
        self.mel_matrix.copy_(mel_matrix / peak)

    def forward(self, x):
        c = self.config
        if x.dim() == 2:
            x = x.unsqueeze(1)
        if c["center"]:
            pad = c["n_fft"] // 2
            x = F.pad(x, (pad, pad), mode="reflect" if c["pad_mode"] == "reflect" else "constant")
        spectrum = F.conv1d(x, self.stft_kernels, stride=c["hop_length"])
        n = spectrum.shape[1] // 2
        power = spectrum[:, :n] ** 2 + spectrum[:, n:] ** 2
        if c["power"] == 1.0:
            power = power.clamp_min(1e-12).sqrt()
        elif c["power"] != 2.0:
            power = power.clamp_min(1e-12).pow(c["power"] / 2.0)
        mel = torch.matmul(self.mel_matrix * self.mel_scale, power)
        if c["log"] == "db":
            mel = 10.0 * torch.log10(mel.clamp_min(1e-10))
            if c["top_db"] is not None:
                peak = mel.flatten(1).max(1)[0].detach().view(-1, 1, 1)
                mel = torch.max(mel, peak - c["top_db"])
        elif c["log"] == "log1p":
            mel = torch.log1p(c["log1p_scale"] * mel.clamp_min(0.0)) / math.log(10.0)
        return mel


class WithLearnableFrontend(nn.Module):  # src/models/models.cpp
    def __init__(self, spec, inner):
        super().__init__()
        c = spec["frontend"]
        self.frontend = LearnableFrontend(c, c["n_fft"] // 2 + 1, spec["n_mels"])
        self.model = inner
        self.register_buffer("band_mean", torch.zeros(spec["n_mels"]))
        self.register_buffer("band_std", torch.ones(spec["n_mels"]))

    def forward(self, waveform):
        features = (self.frontend(waveform) - self.band_mean.view(1, -1, 1)) / self.band_std.view(1, -1, 1)
        return self.model(features)


MODELS = {
    "quan_cnn": lambda s: QuanCnn(s, [32, 16], 8, 4),
    "quan_cnn_deep": lambda s: QuanCnn(s, [32, 32, 16, 16, 8, 8], 4, 2),
    "liu_cnn": LiuCnn,
    "clip_stats": ClipStats,
    "stats_head": StatsHead,
    "adff": Adff,
    "raw_cnn": RawCnn,
    "emb_cl": EmbCl,
}


def build(name, spec):
    """The PyTorch module of mer model `name` for a spec (the "spec" of an export's meta), untrained."""
    if name not in MODELS:
        raise ValueError(f"unknown mer model '{name}'; known: {', '.join(sorted(MODELS))}")
    model = MODELS[name](spec)
    if spec.get("pretrained_layers"):
        return WithPretrainedNetworks(spec, model)
    return WithLearnableFrontend(spec, model) if spec.get("learnable_frontend") else model


class Exported(nn.Module):
    """A loaded export: the model plus what mer knows about its inputs and outputs."""

    def __init__(self, model, meta, example_input, example_output):
        super().__init__()
        self.model, self.meta = model, meta
        self.example_input, self.example_output = example_input, example_output

    def forward(self, x):
        return self.model(x)

    def standardise(self, logmel):
        mean, std = self.meta["feature_mean"], self.meta["feature_std"]
        if not mean:
            return logmel
        return (logmel - torch.tensor(mean).view(1, -1, 1)) / torch.tensor(std).view(1, -1, 1)

    def to_output_space(self, y):
        task = self.meta["task"]
        if task == "tagging":
            return torch.sigmoid(y)
        if task in ("quadrants", "classes"):
            return torch.softmax(y, 1)
        if not self.meta["label_mean"]:
            return y
        return y * torch.tensor(self.meta["label_std"], dtype=y.dtype) + torch.tensor(self.meta["label_mean"], dtype=y.dtype)

    @torch.no_grad()
    def check(self):
        """Largest |difference| between this model's output and mer's on the export's example input."""
        return (self.model(self.example_input) - self.example_output).abs().max().item()


def load(path, map_location="cpu"):
    """Reads a `mer export` file; returns an Exported module in eval mode."""
    # LibTorch's pickler tags the dict's types with torch.jit._pickle.restore_type_tag; PyTorch >= 2.6 loads
    # weights only by default and must be told that this one function is safe (nothing else is allowed).
    safe_globals = getattr(torch.serialization, "safe_globals", None)
    if safe_globals is None:  # PyTorch < 2.4
        data = torch.load(path, map_location=map_location)
    else:
        from torch.jit._pickle import restore_type_tag
        with safe_globals([restore_type_tag]):
            data = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(data, dict) or data.get("format") != "mer-export-1":
        raise ValueError(f"{path}: not a mer export (mer export --run DIR --out FILE)")
    meta = json.loads(data["meta"])
    model = build(meta["model"], meta["spec"])
    model.load_state_dict(data["state_dict"], strict=True)
    exported = Exported(model, meta, data["example_input"], data["example_output"])
    return exported.eval()
