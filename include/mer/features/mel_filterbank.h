// Triangular mel filterbank, stored sparsely: each band keeps its first FFT bin and its non-zero weights.
// Matches librosa.filters.mel (0.10) and torchaudio.functional.melscale_fbanks (0.13) for the same options,
// computed in double precision with FFT bin frequencies linspace(0, sample_rate / 2, n_fft / 2 + 1).
#pragma once

#include <string>
#include <vector>

namespace mer::features {

// Hz <-> mel on the "slaney" (linear below 1 kHz, logarithmic above) or "htk" (2595 log10(1 + f / 700)) scale.
double HzToMel(double hz, const std::string& scale);
double MelToHz(double mel, const std::string& scale);

struct MelBand {
  int first_bin = 0;            // index of the first FFT bin with a non-zero weight
  std::vector<float> weights;   // weights of bins first_bin, first_bin + 1, ...
};

class MelFilterbank {
 public:
  // norm: "slaney" scales each triangle by 2 / (f[m + 2] - f[m]); "none" leaves peaks at 1.
  MelFilterbank(int sample_rate, int n_fft, int n_mels, double fmin, double fmax, const std::string& mel_scale,
                const std::string& norm);

  int n_mels() const { return static_cast<int>(bands_.size()); }
  int n_freqs() const { return n_freqs_; }
  const std::vector<MelBand>& bands() const { return bands_; }
  // Index of the first band without any non-zero weight, or -1 when every band has one.
  int FirstEmptyBand() const;

  // mel[m] = sum_k weights[m][k] * spectrum[k]; spectrum has n_freqs values, mel has n_mels.
  void Apply(const float* spectrum, float* mel) const;

  // The dense [n_mels, n_freqs] matrix (row-major), for tests and for initialising learnable frontends.
  std::vector<float> Dense() const;

 private:
  int n_freqs_;
  std::vector<MelBand> bands_;
};

}  // namespace mer::features
