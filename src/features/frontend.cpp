#include "mer/features/frontend.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "mer/core/error.h"
#include "mer/core/parallel.h"

namespace mer::features {
namespace {

constexpr float kAmin = 1e-10f;  // librosa.power_to_db amin


StftLayout LayoutOf(const FrontendConfig& c) {
  StftLayout layout;
  layout.n_fft = c.n_fft;
  layout.win_length = c.EffectiveWinLength();
  layout.hop_length = c.hop_length;
  layout.center = c.center;
  layout.reflect = c.pad_mode == "reflect";
  return layout;
}

// Chroma frame t is centred where mel frame t is: at t * hop (centred), else at t * hop + n_fft / 2; beyond the
// signal it is padded as the mel frames are (zeros without centring).
StftLayout ChromaLayoutOf(const FrontendConfig& c) {
  StftLayout layout;
  layout.n_fft = layout.win_length = c.chroma_n_fft;
  layout.hop_length = c.hop_length;
  layout.center = true;
  layout.reflect = c.center && c.pad_mode == "reflect";
  layout.shift = c.center ? 0 : c.n_fft / 2;
  return layout;
}

const FrontendConfig& Validated(const FrontendConfig& c) {
  c.Validate();
  return c;
}

}  // namespace

// x rounded to the nearest IEEE 754 binary16 value (ties to even), returned as a float: NumPy's
// float32 -> float16 cast. Magnitudes from 65520 up become infinity; below 2^-14 the spacing is the subnormals' 2^-24.
float RoundToHalf(float x) {
  if (!std::isfinite(x)) return x;
  const float magnitude = std::fabs(x);
  if (magnitude >= 65520.0f) return std::copysign(INFINITY, x);
  int exponent = 0;
  std::frexp(magnitude, &exponent);                       // magnitude in [2^(e-1), 2^e)
  const int spacing_exponent = std::max(exponent - 11, -24);  // 10 fraction bits; subnormal spacing 2^-24
  const float spacing = std::ldexp(1.0f, spacing_exponent);
  return std::copysign(std::nearbyint(magnitude / spacing) * spacing, x);  // default rounding: to nearest even
}

Frontend::Frontend(const FrontendConfig& config)
    : config_(Validated(config)),
      filterbank_(config.sample_rate, config.n_fft, config.n_mels, config.fmin, config.EffectiveFmax(),
                  config.mel_scale, config.norm),
      stft_(std::make_unique<PowerSpectrogram>(LayoutOf(config), config.power)) {
  if (config_.chroma > 0) {
    chroma_stft_ = std::make_unique<PowerSpectrogram>(ChromaLayoutOf(config_), 2.0);
    chroma_classes_ = config_.ChromaBinClasses();
  }
}

Frontend::~Frontend() = default;

Spectrogram Frontend::Compute(const float* samples, std::size_t n) const { return ComputeParallel(samples, n, 1); }

Spectrogram Frontend::ComputeParallel(const float* samples, std::size_t n, int threads) const {
  if (n == 0) throw InputError("cannot compute features of an empty signal (0 samples)");
  Spectrogram out;
  out.n_mels = config_.NumRows();
  out.chroma = config_.chroma;
  out.frames = static_cast<int64_t>(stft_->layout().NumFrames(n));
  out.values.resize(static_cast<std::size_t>(out.n_mels) * static_cast<std::size_t>(out.frames));
  // Frames are independent; chunks of 256 keep the threads' writes apart. Every frame is computed by the same
  // code whichever thread runs it, so the result is bitwise identical for any thread count.
  const int64_t chunk = 256;
  const std::size_t chunks = static_cast<std::size_t>((out.frames + chunk - 1) / chunk);
  std::exception_ptr failure;
  std::mutex failure_mutex;
  ParallelFor(chunks, threads, [&](std::size_t c) {
    try {
      const int64_t begin = static_cast<int64_t>(c) * chunk;
      ComputeFrames(samples, n, begin, std::min(out.frames, begin + chunk), &out);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
  ApplyLog(&out);
  return out;
}

void Frontend::ComputeFrames(const float* samples, std::size_t n, int64_t begin, int64_t end, Spectrogram* out) const {
  PowerSpectrogram::Workspace workspace(config_.n_fft);
  std::vector<float> spectrum(static_cast<std::size_t>(stft_->n_freqs()));
  std::vector<float> mel(static_cast<std::size_t>(config_.n_mels));
  float* values = out->values.data();
  const int64_t frames = out->frames;
  for (int64_t t = begin; t < end; ++t) {
    stft_->Frame(samples, n, static_cast<std::size_t>(t), &workspace, spectrum.data());
    filterbank_.Apply(spectrum.data(), mel.data());
    for (int m = 0; m < config_.n_mels; ++m) values[m * frames + t] = mel[static_cast<std::size_t>(m)];
  }
  if (!chroma_stft_) return;
  // Frames at the same hop: chroma frame t is centred on the same sample as mel frame t.
  PowerSpectrogram::Workspace chroma_workspace(config_.chroma_n_fft);
  std::vector<float> power(static_cast<std::size_t>(chroma_stft_->n_freqs()));
  for (int64_t t = begin; t < end; ++t) {
    chroma_stft_->Frame(samples, n, static_cast<std::size_t>(t), &chroma_workspace, power.data());
    double classes[12] = {0};
    for (std::size_t k = 0; k < power.size(); ++k) {
      if (chroma_classes_[k] >= 0) classes[chroma_classes_[k]] += power[k];
    }
    double peak = 0;
    for (double c : classes) peak = std::max(peak, c);
    float* row = values + static_cast<int64_t>(config_.n_mels) * frames + t;
    for (int c = 0; c < 12; ++c) row[c * frames] = peak > 1e-20 ? static_cast<float>(classes[c] / peak) : 0.0f;
  }
}

void Frontend::ApplyLog(Spectrogram* out) const {
  // The mel rows only: chroma rows stay in [0, 1].
  float* const begin = out->values.data();
  float* const end = begin + static_cast<std::size_t>(config_.n_mels) * static_cast<std::size_t>(out->frames);
  if (config_.mel_precision == "float16") {
    for (float* x = begin; x != end; ++x) *x = RoundToHalf(*x);
  }
  if (config_.log == "db") {
    // librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db): 10 log10(max(amin, S)), floored at max - top_db.
    // 10 log10(x) as (10 / ln 10) ln(x): glibc's logf is several times faster than log10f and as accurate.
    const float db_per_neper = static_cast<float>(10.0 / 2.302585092994045684);
    float peak = -INFINITY;
    for (float* x = begin; x != end; ++x) {
      *x = db_per_neper * std::log(std::max(kAmin, *x));
      peak = std::max(peak, *x);
    }
    if (config_.top_db) {
      const float floor = peak - static_cast<float>(*config_.top_db);
      for (float* x = begin; x != end; ++x) *x = std::max(*x, floor);
    }
  } else if (config_.log == "log1p") {
    const float scale = static_cast<float>(config_.log1p_scale);
    const float log10_e = static_cast<float>(1.0 / 2.302585092994045684);
    for (float* x = begin; x != end; ++x) *x = log10_e * std::log1p(scale * *x);
  }
}

void Frontend::RunFftsOnly(const float* samples, std::size_t n) const {
  PowerSpectrogram::Workspace workspace(config_.n_fft);
  stft_->FftOnly(samples, n, stft_->layout().NumFrames(n), &workspace);
}

}  // namespace mer::features
