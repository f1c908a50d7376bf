// A learnable spectrogram frontend (`frontend.learnable`): the fixed frontend (features/frontend.h) written as
// LibTorch operations on the waveform, with its two linear stages as parameters:
//   STFT: a Conv1d of stride hop_length whose 2 x (n_fft / 2 + 1) kernels are initialised to the periodic Hann
//         window times cos / -sin (the real and imaginary parts of the DFT), centred in n_fft like torch.stft;
//   mel:  a [n_mels, n_fft / 2 + 1] matrix initialised from the fixed (sparse) filterbank.
// Either can be trainable or frozen. At initialisation the output equals the fixed frontend's (tested on real
// audio to <= 1e-3 dB), with two differences: top_db floors each input window at its own maximum - top_db (the
// fixed frontend uses the whole file's maximum), and values below the guards of the square root (power 1e-12) and
// the logarithm (1e-10, as librosa's amin) are floored, so gradients stay finite.
#pragma once

#include <torch/torch.h>

#include "mer/features/frontend_config.h"

namespace mer::models {

struct LearnableFrontendImpl : torch::nn::Module {
  LearnableFrontendImpl(const features::FrontendConfig& config, bool train_stft, bool train_mel);
  // waveform: [batch, 1, samples] or [batch, samples] -> [batch, n_mels, frames] (dB, log1p or power per config.log)
  torch::Tensor forward(torch::Tensor waveform);

  features::FrontendConfig config;
  torch::Tensor stft_kernels;  // [2 * n_freqs, 1, n_fft]
  torch::Tensor mel_matrix;    // [n_mels, n_freqs], in units of mel_scale (the filterbank's largest weight)
  torch::Tensor mel_scale;     // scalar buffer
};
TORCH_MODULE(LearnableFrontend);

}  // namespace mer::models
