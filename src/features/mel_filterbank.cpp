#include "mer/features/mel_filterbank.h"

#include <algorithm>
#include <cmath>

namespace mer::features {
namespace {

// Slaney's Auditory Toolbox scale as in librosa.hz_to_mel(htk=False).
constexpr double kLinearStepHz = 200.0 / 3.0;
constexpr double kMinLogHz = 1000.0;
constexpr double kMinLogMel = kMinLogHz / kLinearStepHz;  // 15
const double kLogStep = std::log(6.4) / 27.0;

// numpy.linspace: start + i * step, with the last point exactly `stop`.
std::vector<double> Linspace(double start, double stop, int n) {
  std::vector<double> points(static_cast<std::size_t>(n));
  const double step = n > 1 ? (stop - start) / (n - 1) : 0.0;
  for (int i = 0; i < n; ++i) points[static_cast<std::size_t>(i)] = start + i * step;
  if (n > 1) points.back() = stop;
  return points;
}

}  // namespace

double HzToMel(double hz, const std::string& scale) {
  if (scale == "htk") return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz >= kMinLogHz) return kMinLogMel + std::log(hz / kMinLogHz) / kLogStep;
  return hz / kLinearStepHz;
}

double MelToHz(double mel, const std::string& scale) {
  if (scale == "htk") return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel >= kMinLogMel) return kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel));
  return kLinearStepHz * mel;
}

MelFilterbank::MelFilterbank(int sample_rate, int n_fft, int n_mels, double fmin, double fmax,
                             const std::string& mel_scale, const std::string& norm)
    : n_freqs_(n_fft / 2 + 1) {
  // librosa.filters.mel: triangles between consecutive points of n_mels + 2 points evenly spaced in mel.
  const std::vector<double> fft_freqs = Linspace(0.0, sample_rate / 2.0, n_freqs_);
  const std::vector<double> mel_points = Linspace(HzToMel(fmin, mel_scale), HzToMel(fmax, mel_scale), n_mels + 2);
  std::vector<double> hz_points(mel_points.size());
  std::transform(mel_points.begin(), mel_points.end(), hz_points.begin(),
                 [&](double m) { return MelToHz(m, mel_scale); });
  bands_.resize(static_cast<std::size_t>(n_mels));
  for (int m = 0; m < n_mels; ++m) {
    const double lower = hz_points[m], center = hz_points[m + 1], upper = hz_points[m + 2];
    const double scale = norm == "slaney" ? 2.0 / (upper - lower) : 1.0;
    MelBand& band = bands_[static_cast<std::size_t>(m)];
    band.first_bin = -1;
    for (int k = 0; k < n_freqs_; ++k) {
      const double rising = (fft_freqs[k] - lower) / (center - lower);
      const double falling = (upper - fft_freqs[k]) / (upper - center);
      const double weight = std::max(0.0, std::min(rising, falling));
      if (weight > 0.0) {
        if (band.first_bin < 0) band.first_bin = k;
        // Zeros between non-zero weights cannot occur in a triangle, so the run is contiguous.
        band.weights.resize(static_cast<std::size_t>(k - band.first_bin + 1), 0.0f);
        band.weights.back() = static_cast<float>(weight * scale);
      }
    }
    if (band.first_bin < 0) band.first_bin = 0;
  }
}

int MelFilterbank::FirstEmptyBand() const {
  for (std::size_t m = 0; m < bands_.size(); ++m) {
    if (bands_[m].weights.empty()) return static_cast<int>(m);
  }
  return -1;
}

void MelFilterbank::Apply(const float* spectrum, float* mel) const {
  for (std::size_t m = 0; m < bands_.size(); ++m) {
    const MelBand& band = bands_[m];
    const float* s = spectrum + band.first_bin;
    const float* w = band.weights.data();
    const std::size_t count = band.weights.size();
    float sum = 0.0f;
    for (std::size_t k = 0; k < count; ++k) sum += w[k] * s[k];
    mel[m] = sum;
  }
}

std::vector<float> MelFilterbank::Dense() const {
  std::vector<float> dense(bands_.size() * static_cast<std::size_t>(n_freqs_), 0.0f);
  for (std::size_t m = 0; m < bands_.size(); ++m) {
    const MelBand& band = bands_[m];
    std::copy(band.weights.begin(), band.weights.end(),
              dense.begin() + static_cast<long>(m * static_cast<std::size_t>(n_freqs_) + band.first_bin));
  }
  return dense;
}

}  // namespace mer::features
