#include "mer/models/learnable_frontend.h"

#include <algorithm>
#include <cmath>

#include "mer/features/mel_filterbank.h"

namespace mer::models {

namespace {
constexpr double kPowerFloor = 1e-12;  // guards sqrt for power 1 (magnitude floor 1e-6)
constexpr double kAmin = 1e-10;        // librosa.power_to_db amin, guards the logarithm
}  // namespace

LearnableFrontendImpl::LearnableFrontendImpl(const features::FrontendConfig& c, bool train_stft, bool train_mel)
    : config(c) {
  const int n_fft = c.n_fft, win = c.EffectiveWinLength(), n_freqs = c.NumFrequencyBins();
  const int offset = (n_fft - win) / 2;
  torch::Tensor kernels = torch::zeros({2 * n_freqs, 1, n_fft}, torch::kDouble);
  auto k = kernels.accessor<double, 3>();
  for (int j = 0; j < win; ++j) {
    const double window = 0.5 - 0.5 * std::cos(2 * M_PI * j / win);  // periodic Hann, as the fixed frontend
    const int n = offset + j;
    for (int f = 0; f < n_freqs; ++f) {
      const double phase = 2 * M_PI * static_cast<double>(f) * n / n_fft;
      k[f][0][n] = window * std::cos(phase);
      k[n_freqs + f][0][n] = -window * std::sin(phase);
    }
  }
  stft_kernels = register_parameter("stft_kernels", kernels.to(torch::kFloat), train_stft);
  const std::vector<float> dense =
      features::MelFilterbank(c.sample_rate, c.n_fft, c.n_mels, c.fmin, c.EffectiveFmax(), c.mel_scale, c.norm).Dense();
  // Slaney-normalised weights are ~1e-3: stored divided by their maximum so that optimiser steps (Adam's are about
  // lr in size) are relative to weights of order 1, and multiplied back in forward().
  const float peak = std::max(1e-12f, *std::max_element(dense.begin(), dense.end()));
  mel_scale = register_buffer("mel_scale", torch::tensor(peak));
  mel_matrix = register_parameter("mel_matrix", torch::tensor(dense).reshape({c.n_mels, n_freqs}) / peak, train_mel);
}

torch::Tensor LearnableFrontendImpl::forward(torch::Tensor x) {
  if (x.dim() == 2) x = x.unsqueeze(1);
  if (config.center) {
    const int64_t pad = config.n_fft / 2;
    namespace F = torch::nn::functional;
    x = config.pad_mode == "reflect" ? F::pad(x, F::PadFuncOptions({pad, pad}).mode(torch::kReflect))
                                     : F::pad(x, F::PadFuncOptions({pad, pad}));
  }
  const torch::Tensor spectrum = torch::conv1d(x, stft_kernels, {}, config.hop_length);  // [batch, 2F, frames]
  const int64_t n_freqs = spectrum.size(1) / 2;
  const torch::Tensor re = spectrum.narrow(1, 0, n_freqs), im = spectrum.narrow(1, n_freqs, n_freqs);
  torch::Tensor power = re * re + im * im;
  if (config.power == 1.0) {
    power = power.clamp_min(kPowerFloor).sqrt();
  } else if (config.power != 2.0) {
    power = power.clamp_min(kPowerFloor).pow(config.power / 2.0);
  }
  torch::Tensor mel = torch::matmul(mel_matrix * mel_scale, power);  // [batch, n_mels, frames]
  if (config.log == "db") {
    mel = 10.0 * torch::log10(mel.clamp_min(kAmin));
    if (config.top_db) {
      const torch::Tensor peak = std::get<0>(mel.flatten(1).max(1)).detach().view({-1, 1, 1});
      mel = torch::max(mel, peak - *config.top_db);
    }
  } else if (config.log == "log1p") {
    mel = torch::log1p(config.log1p_scale * mel.clamp_min(0.0)) / std::log(10.0);
  }
  return mel;
}

}  // namespace mer::models
