// Short-time power spectrum with FFTW (float, real-to-complex). Plans are created once per FFT size under a mutex
// (the FFTW planner is not thread-safe) and then executed concurrently from any thread with the new-array API.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace mer::features {

// Frame layout of torch.stft / librosa.stft: frame t covers samples [t * hop - pad, t * hop - pad + n_fft) of the
// signal, pad = n_fft / 2 when centred (else 0), with the periodic Hann window of win_length samples placed in the
// middle of the frame (left offset (n_fft - win_length) / 2).
struct StftLayout {
  int n_fft = 2048;
  int win_length = 2048;
  int hop_length = 512;
  bool center = true;
  bool reflect = false;  // padding beyond the signal: numpy "reflect" if true, zeros if false
  int shift = 0;         // samples every frame is moved to the right (chroma frames centred on non-centred mel frames)

  // Frames for a signal of n samples: 1 + (n + 2 pad - n_fft) / hop. Padding rule for short clips: without
  // centring, a signal shorter than n_fft is zero-padded at its end to n_fft samples and gives one frame (librosa
  // raises instead); with centring every signal of at least one sample gives 1 + n / hop frames (even n_fft).
  std::size_t NumFrames(std::size_t n) const;
};

class PowerSpectrogram {
 public:
  // power: 1 gives |X|, 2 gives |X|^2.
  PowerSpectrogram(const StftLayout& layout, double power);
  ~PowerSpectrogram();
  PowerSpectrogram(const PowerSpectrogram&) = delete;
  PowerSpectrogram& operator=(const PowerSpectrogram&) = delete;

  const StftLayout& layout() const { return layout_; }
  int n_freqs() const { return layout_.n_fft / 2 + 1; }

  // Per-thread scratch space for Frame(); create one per thread.
  class Workspace {
   public:
    explicit Workspace(int n_fft);
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

   private:
    friend class PowerSpectrogram;
    float* input_;
    void* output_;  // fftwf_complex[n_fft / 2 + 1]
  };

  // Writes the n_freqs spectrum values of frame t of signal[0, n) into out. Thread-safe with distinct workspaces.
  void Frame(const float* signal, std::size_t n, std::size_t t, Workspace* workspace, float* out) const;

  // FFTs only (no windowing, no magnitudes) of `frames` frames: the lower bound the benchmark compares against.
  void FftOnly(const float* signal, std::size_t n, std::size_t frames, Workspace* workspace) const;

 private:
  StftLayout layout_;
  double power_;
  std::vector<float> window_;  // [win_length], periodic Hann
  void* plan_;                 // fftwf_plan, owned by the process-wide plan cache
};

}  // namespace mer::features
