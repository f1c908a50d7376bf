# Float32 error of mer's log-mel frontend and of torchaudio's, against one float64 reference, on the same samples.
#   frontend_precision.py MER_BINARY N_MELS WAV...
# The reference is librosa.feature.melspectrogram + power_to_db (no top_db) in float64: the mel filterbank built in
# float64 (librosa's formula), torch.stft in float64. Compared: bins within 80 dB of each clip's maximum.
# Prints one JSON line per side with the worst |error| in dB over all clips, and per clip on stderr.
import json, os, subprocess, sys, tempfile
import numpy as np, torch, torchaudio

torch.set_num_threads(1)
SR, N_FFT, HOP = 22050, 2048, 512
mer, n_mels, wavs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


def slaney(f):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f >= 1000, 15 + np.log(np.maximum(f, 1e-300) / 1000) / (np.log(6.4) / 27), f * 3 / 200)


def inverse_slaney(m):
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15, 1000 * np.exp(np.log(6.4) / 27 * (m - 15)), m * 200 / 3)


freqs = np.linspace(0, SR / 2, N_FFT // 2 + 1)
edges = inverse_slaney(np.linspace(slaney(0.0), slaney(SR / 2), n_mels + 2))
fb64 = np.zeros((n_mels, freqs.size))
for m in range(n_mels):
    lo, c, up = edges[m:m + 3]
    fb64[m] = np.maximum(0, np.minimum((freqs - lo) / (c - lo), (up - freqs) / (up - c))) * 2 / (up - lo)
fb64 = torch.from_numpy(fb64)
stock = torchaudio.transforms.MelSpectrogram(SR, n_fft=N_FFT, hop_length=HOP, n_mels=n_mels, norm="slaney",
                                             mel_scale="slaney", power=2.0, pad_mode="constant")


def db(s):
    return 10 * torch.log10(torch.clamp(s.double(), min=1e-10)).numpy()


def power(x):
    return torch.stft(x, N_FFT, HOP, window=torch.hann_window(N_FFT, dtype=x.dtype), center=True,
                      pad_mode="constant", return_complex=True).abs().pow(2)


worst = {"mer": 0.0, "torchaudio": 0.0, "torch_f32_exact_filterbank": 0.0}
with tempfile.TemporaryDirectory() as out:
    subprocess.run([mer, "features", "--set", f"frontend.n_mels={n_mels}", "--set", "frontend.top_db=null",
                    "--out-dir", out, *wavs], check=True, stdout=subprocess.DEVNULL)
    for wav in wavs:
        x, sr = torchaudio.load(wav)
        assert sr == SR, f"{wav}: {sr} Hz, expected {SR}"
        x = x[0]
        ref = db(fb64 @ power(x.double()))
        mask = ref >= ref.max() - 80
        sides = {"mer": np.load(os.path.join(out, os.path.splitext(os.path.basename(wav))[0] + ".npy")),
                 "torchaudio": db(stock(x)),
                 "torch_f32_exact_filterbank": db(fb64.float() @ power(x))}
        errors = {k: float(np.abs(v.astype(np.float64) - ref)[mask].max()) for k, v in sides.items()}
        for k, e in errors.items():
            worst[k] = max(worst[k], e)
        print(os.path.basename(wav), json.dumps(errors), file=sys.stderr)
print(json.dumps({"n_mels": n_mels, "clips": len(wavs), "worst_db": worst}))
