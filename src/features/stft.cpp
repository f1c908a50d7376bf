#include "mer/features/stft.h"

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

#include <fftw3.h>

namespace mer::features {
namespace {

// FFTW_ESTIMATE picks the same algorithm in every process, so features are bitwise reproducible across runs and
// machines with the same FFTW build (FFTW_MEASURE may time its way to a different, numerically different plan).
constexpr unsigned kPlannerFlags = FFTW_ESTIMATE;

// One plan per FFT size for the whole process. Plans are created under the mutex (the planner is not
// thread-safe); executing a plan with new arrays (fftwf_execute_dft_r2c) is thread-safe.
fftwf_plan PlanForSize(int n_fft) {
  static std::mutex mutex;
  static std::map<int, fftwf_plan> plans;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = plans.find(n_fft);
  if (it != plans.end()) return it->second;
  float* in = fftwf_alloc_real(static_cast<std::size_t>(n_fft));
  fftwf_complex* out = fftwf_alloc_complex(static_cast<std::size_t>(n_fft / 2 + 1));
  fftwf_plan plan = fftwf_plan_dft_r2c_1d(n_fft, in, out, kPlannerFlags);
  fftwf_free(in);
  fftwf_free(out);
  if (plan == nullptr) throw std::bad_alloc();
  plans.emplace(n_fft, plan);
  return plan;
}

// numpy.pad(mode="reflect") index for any distance outside [0, n): mirror without repeating the edge sample.
std::size_t ReflectIndex(int64_t i, std::size_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (static_cast<int64_t>(n) - 1);
  int64_t m = i % period;
  if (m < 0) m += period;
  if (m >= static_cast<int64_t>(n)) m = period - m;
  return static_cast<std::size_t>(m);
}

}  // namespace

std::size_t StftLayout::NumFrames(std::size_t n) const {
  if (!center) return n < static_cast<std::size_t>(n_fft) ? 1 : 1 + (n - static_cast<std::size_t>(n_fft)) / hop_length;
  const std::size_t padded = n + 2 * static_cast<std::size_t>(n_fft / 2);
  if (padded < static_cast<std::size_t>(n_fft)) return 1;
  return 1 + (padded - static_cast<std::size_t>(n_fft)) / static_cast<std::size_t>(hop_length);
}

PowerSpectrogram::Workspace::Workspace(int n_fft)
    : input_(fftwf_alloc_real(static_cast<std::size_t>(n_fft))),
      output_(fftwf_alloc_complex(static_cast<std::size_t>(n_fft / 2 + 1))) {
  if (input_ == nullptr || output_ == nullptr) throw std::bad_alloc();
  std::memset(input_, 0, sizeof(float) * static_cast<std::size_t>(n_fft));
}

PowerSpectrogram::Workspace::~Workspace() {
  fftwf_free(input_);
  fftwf_free(output_);
}

PowerSpectrogram::PowerSpectrogram(const StftLayout& layout, double power)
    : layout_(layout), power_(power), window_(static_cast<std::size_t>(layout.win_length)),
      plan_(PlanForSize(layout.n_fft)) {
  // torch.hann_window(periodic=True) = scipy.signal.get_window("hann", N, fftbins=True).
  const double two_pi = 2.0 * 3.14159265358979323846;
  for (int k = 0; k < layout.win_length; ++k) {
    window_[static_cast<std::size_t>(k)] = static_cast<float>(0.5 - 0.5 * std::cos(two_pi * k / layout.win_length));
  }
}

PowerSpectrogram::~PowerSpectrogram() = default;

void PowerSpectrogram::Frame(const float* signal, std::size_t n, std::size_t t, Workspace* workspace,
                             float* out) const {
  const int n_fft = layout_.n_fft, win = layout_.win_length;
  const int offset = (n_fft - win) / 2;
  const int64_t pad = layout_.center ? n_fft / 2 : 0;
  const int64_t start = static_cast<int64_t>(t) * layout_.hop_length - pad + offset + layout_.shift;  // of window[0]
  float* in = workspace->input_;
  const float* w = window_.data();
  // in[0, offset) and in[offset + win, n_fft) are zero since the workspace was created and never written.
  if (start >= 0 && start + win <= static_cast<int64_t>(n)) {
    const float* x = signal + start;
    for (int j = 0; j < win; ++j) in[offset + j] = x[j] * w[j];
  } else {
    for (int j = 0; j < win; ++j) {
      const int64_t i = start + j;
      float value = 0.0f;
      if (i >= 0 && i < static_cast<int64_t>(n)) {
        value = signal[i];
      } else if (layout_.center && layout_.reflect) {
        value = signal[ReflectIndex(i, n)];
      }
      in[offset + j] = value * w[j];
    }
  }
  auto* spectrum = static_cast<fftwf_complex*>(workspace->output_);
  fftwf_execute_dft_r2c(static_cast<fftwf_plan>(plan_), in, spectrum);
  const int n_freqs = n_fft / 2 + 1;
  if (power_ == 2.0) {
    for (int k = 0; k < n_freqs; ++k) out[k] = spectrum[k][0] * spectrum[k][0] + spectrum[k][1] * spectrum[k][1];
  } else {
    for (int k = 0; k < n_freqs; ++k) {
      out[k] = std::sqrt(spectrum[k][0] * spectrum[k][0] + spectrum[k][1] * spectrum[k][1]);
    }
  }
}

void PowerSpectrogram::FftOnly(const float* signal, std::size_t n, std::size_t frames, Workspace* workspace) const {
  const std::size_t n_fft = static_cast<std::size_t>(layout_.n_fft);
  std::memcpy(workspace->input_, signal, sizeof(float) * std::min(n, n_fft));
  auto* spectrum = static_cast<fftwf_complex*>(workspace->output_);
  for (std::size_t t = 0; t < frames; ++t) {
    fftwf_execute_dft_r2c(static_cast<fftwf_plan>(plan_), workspace->input_, spectrum);
  }
  std::memset(workspace->input_, 0, sizeof(float) * n_fft);  // Frame() relies on zeros outside the window
}

}  // namespace mer::features
