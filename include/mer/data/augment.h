// Music data augmentation for training (the `augment` section of a run config). Every operation draws from the
// example's own generator, seeded from (train.seed, epoch, position), so augmented training is reproducible and
// independent of thread timing. Evaluation and prediction never augment: the DataLoader applies its transform in
// "train" mode only.
//   waveform:     gain, additive white noise at an SNR, circular time shift, pitch shift, time stretch
//   batch:        mixup (Zhang et al. 2018), inputs and targets mixed with lambda ~ Beta(alpha, alpha)
//   spectrogram:  SpecAugment time and frequency masks (Park et al. 2019)
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/core/fields.h"

namespace mer::data {

struct AugmentConfig {
  double gain_db = 0.0;              // gain uniform in [-gain_db, +gain_db] dB; 0 = off
  double noise_probability = 0.0;    // chance that white noise is added to an example; 0 = off
  double noise_snr_min = 10.0;       // dB; the SNR is uniform in [noise_snr_min, noise_snr_max]
  double noise_snr_max = 30.0;
  double time_shift = 0.0;           // circular shift by up to this fraction of the crop, either way; 0 = off
  double pitch_shift = 0.0;          // semitones, uniform in [-pitch_shift, +pitch_shift]; 0 = off
  double time_stretch = 0.0;         // rate uniform in [1 - time_stretch, 1 + time_stretch], pitch kept; 0 = off
  double mixup_alpha = 0.0;          // Beta(alpha, alpha) mixing weight; 0 = off
  int time_masks = 0;                // SpecAugment: number of time masks
  double time_mask_width = 0.1;      // each at most this fraction of the frames
  int freq_masks = 0;                // SpecAugment: number of frequency masks
  int freq_mask_width = 8;           // each at most this many mel bands

  bool WaveformOps() const { return gain_db > 0 || noise_probability > 0 || time_shift > 0 || pitch_shift > 0 || time_stretch > 0; }
  bool SpecOps() const { return time_masks > 0 || freq_masks > 0; }
  bool Any() const { return WaveformOps() || SpecOps() || mixup_alpha > 0; }
  void Validate() const;
  nlohmann::json ToJson() const;
};
// Reads the `augment` object (unknown keys rejected, values validated).
AugmentConfig ParseAugmentConfig(const nlohmann::json& section);
// The section's fields, declared once (mer/core/fields.h): reading, validation, resolved JSON, docs/config.md.
const config::Fields<AugmentConfig>& AugmentFields();

// x *= 10^(db / 20).
void ApplyGain(std::vector<float>* x, double db);
// Adds white Gaussian noise whose power is the signal's power / 10^(snr_db / 10). Silence stays silent.
void AddNoise(std::vector<float>* x, double snr_db, std::mt19937_64* rng);
// Circular shift: out[(i + shift) mod n] = x[i].
void TimeShift(std::vector<float>* x, int64_t shift);
// WSOLA time-scale modification (Verhelst & Roelands 1993): `rate` > 1 is faster (output about n / rate samples),
// pitch unchanged. 40 ms Hann frames at 50% overlap, each placed where it best continues the previous one within
// +-5 ms.
std::vector<float> TimeStretch(const std::vector<float>& x, double rate, int sample_rate);
// Pitch shift by `semitones`, duration kept: WSOLA to 2^(semitones/12) times the length, then resampled (libsoxr)
// back to the input's length.
std::vector<float> PitchShift(const std::vector<float>& x, double semitones, int sample_rate);
// Every waveform operation of `config` on one crop, in the order stretch, pitch, shift, gain, noise; the result has
// `length` samples (the crop may be longer to leave room for stretching).
std::vector<float> AugmentWaveform(const std::vector<float>& crop, int64_t length, int sample_rate,
                                   const AugmentConfig& config, std::mt19937_64* rng);

// SpecAugment masks for [bands, frames] features: time masks of up to time_mask_width * frames frames and
// frequency masks of up to freq_mask_width bands, as (start, width) pairs.
struct SpecMasks {
  std::vector<std::pair<int64_t, int64_t>> time, freq;
};
SpecMasks DrawSpecMasks(int bands, int64_t frames, const AugmentConfig& config, std::mt19937_64* rng);
// The masks drawn by DrawSpecMasks applied to [bands, frames] features, filled with `fill`.
void SpecAugment(std::vector<float>* features, int bands, int64_t frames, const AugmentConfig& config,
                 std::mt19937_64* rng, float fill);

// mixup for one batch: lambda ~ Beta(alpha, alpha) and a partner per row (a random permutation).
struct MixupPlan {
  double lambda = 1.0;
  std::vector<std::size_t> partner;
};
MixupPlan MakeMixupPlan(std::size_t batch, double alpha, std::mt19937_64* rng);
// rows[i] <- lambda * rows[i] + (1 - lambda) * rows[partner[i]] for a [plan.partner.size(), width] row-major matrix.
void MixRows(float* rows, std::size_t width, const MixupPlan& plan);

}  // namespace mer::data
