#include "mer/data/augment.h"

#include <algorithm>
#include <cmath>

#include "mer/audio/resampler.h"
#include "mer/core/config.h"

namespace mer::data {

using config::ThrowInvalid;

void AugmentConfig::Validate() const {
  if (!(gain_db >= 0 && gain_db <= 60)) ThrowInvalid("augment.gain_db", gain_db, "a number of dB in [0, 60]");
  if (!(noise_probability >= 0 && noise_probability <= 1)) ThrowInvalid("augment.noise_probability", noise_probability, "a number in [0, 1]");
  if (!(noise_snr_min >= -20 && noise_snr_min <= 100)) ThrowInvalid("augment.noise_snr_min", noise_snr_min, "dB in [-20, 100]");
  if (!(noise_snr_max >= noise_snr_min && noise_snr_max <= 100)) {
    ThrowInvalid("augment.noise_snr_max", noise_snr_max, "dB in [noise_snr_min, 100]");
  }
  if (!(time_shift >= 0 && time_shift <= 1)) ThrowInvalid("augment.time_shift", time_shift, "a fraction in [0, 1]");
  if (!(pitch_shift >= 0 && pitch_shift <= 12)) ThrowInvalid("augment.pitch_shift", pitch_shift, "semitones in [0, 12]");
  if (!(time_stretch >= 0 && time_stretch <= 0.5)) ThrowInvalid("augment.time_stretch", time_stretch, "a number in [0, 0.5]");
  if (!(mixup_alpha >= 0 && mixup_alpha <= 10)) ThrowInvalid("augment.mixup_alpha", mixup_alpha, "a number in [0, 10]");
  if (time_masks < 0 || time_masks > 20) ThrowInvalid("augment.time_masks", time_masks, "an integer in [0, 20]");
  if (!(time_mask_width > 0 && time_mask_width <= 1)) ThrowInvalid("augment.time_mask_width", time_mask_width, "a fraction in (0, 1]");
  if (freq_masks < 0 || freq_masks > 20) ThrowInvalid("augment.freq_masks", freq_masks, "an integer in [0, 20]");
  if (freq_mask_width < 1 || freq_mask_width > 1024) ThrowInvalid("augment.freq_mask_width", freq_mask_width, "an integer in [1, 1024]");
}

nlohmann::json AugmentConfig::ToJson() const {
  return {{"gain_db", gain_db},           {"noise_probability", noise_probability}, {"noise_snr_min", noise_snr_min},
          {"noise_snr_max", noise_snr_max}, {"time_shift", time_shift},             {"pitch_shift", pitch_shift},
          {"time_stretch", time_stretch}, {"mixup_alpha", mixup_alpha},             {"time_masks", time_masks},
          {"time_mask_width", time_mask_width}, {"freq_masks", freq_masks},         {"freq_mask_width", freq_mask_width}};
}

AugmentConfig ParseAugmentConfig(const nlohmann::json& section) {
  AugmentConfig a;
  config::FieldReader r(section, "augment");
  r.Read("gain_db", &a.gain_db);
  r.Read("noise_probability", &a.noise_probability);
  r.Read("noise_snr_min", &a.noise_snr_min);
  r.Read("noise_snr_max", &a.noise_snr_max);
  r.Read("time_shift", &a.time_shift);
  r.Read("pitch_shift", &a.pitch_shift);
  r.Read("time_stretch", &a.time_stretch);
  r.Read("mixup_alpha", &a.mixup_alpha);
  r.Read("time_masks", &a.time_masks);
  r.Read("time_mask_width", &a.time_mask_width);
  r.Read("freq_masks", &a.freq_masks);
  r.Read("freq_mask_width", &a.freq_mask_width);
  r.RejectUnknownKeys();
  a.Validate();
  return a;
}

void ApplyGain(std::vector<float>* x, double db) {
  const float g = static_cast<float>(std::pow(10.0, db / 20.0));
  for (float& v : *x) v *= g;
}

void AddNoise(std::vector<float>* x, double snr_db, std::mt19937_64* rng) {
  double power = 0;
  for (float v : *x) power += double(v) * v;
  if (x->empty() || power == 0) return;
  power /= static_cast<double>(x->size());
  std::normal_distribution<double> normal(0.0, std::sqrt(power / std::pow(10.0, snr_db / 10.0)));
  for (float& v : *x) v += static_cast<float>(normal(*rng));
}

void TimeShift(std::vector<float>* x, int64_t shift) {
  const auto n = static_cast<int64_t>(x->size());
  if (n == 0) return;
  const int64_t s = ((shift % n) + n) % n;
  std::rotate(x->begin(), x->begin() + (n - s), x->end());
}

std::vector<float> TimeStretch(const std::vector<float>& x, double rate, int sample_rate) {
  const auto n = static_cast<int64_t>(x.size());
  const int64_t frame = std::max<int64_t>(16, std::llround(0.040 * sample_rate)) & ~int64_t{1};
  const int64_t hop_out = frame / 2, delta = std::max<int64_t>(1, std::llround(0.005 * sample_rate));
  const auto out_length = static_cast<int64_t>(std::floor(static_cast<double>(n) / rate));
  std::vector<float> out(static_cast<std::size_t>(std::max<int64_t>(0, out_length)), 0.0f);
  if (n < frame || out_length < frame) return out;  // shorter than one frame: silence
  std::vector<double> window(static_cast<std::size_t>(frame)), weight(out.size(), 0.0), sum(out.size(), 0.0);
  for (int64_t j = 0; j < frame; ++j) window[j] = 0.5 - 0.5 * std::cos(2 * M_PI * j / frame);  // periodic Hann
  int64_t previous = 0;
  for (int64_t k = 0;; ++k) {
    const int64_t out_pos = k * hop_out;
    if (out_pos >= out_length) break;
    int64_t best = 0;
    const int64_t nominal = std::llround(static_cast<double>(k) * hop_out * rate);
    if (k > 0) {
      // The natural continuation of the previous frame is x[previous + hop_out ...]; take the candidate around the
      // nominal position that correlates best with it.
      // Coarse search (every 4th candidate, every 4th sample), then refined around the best (every sample pair).
      const int64_t natural = previous + hop_out;
      const auto score = [&](int64_t c, int64_t stride) {
        double s = 0;
        for (int64_t j = 0; j < frame && natural + j < n; j += stride) s += double(x[c + j]) * x[natural + j];
        return s;
      };
      const int64_t lo = std::max<int64_t>(0, nominal - delta), hi = std::min(n - frame, nominal + delta);
      best = std::clamp<int64_t>(nominal, 0, n - frame);
      double best_score = -INFINITY;
      for (int64_t c = lo; c <= hi; c += 4) {
        const double s = score(c, 4);
        if (s > best_score) best_score = s, best = c;
      }
      const int64_t coarse = best;
      best_score = -INFINITY;
      for (int64_t c = std::max(lo, coarse - 3); c <= std::min(hi, coarse + 3); ++c) {
        const double s = score(c, 2);
        if (s > best_score) best_score = s, best = c;
      }
    }
    for (int64_t j = 0; j < frame && out_pos + j < out_length; ++j) {
      sum[out_pos + j] += window[j] * x[best + j];
      weight[out_pos + j] += window[j];
    }
    previous = best;
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = weight[i] > 1e-3 ? static_cast<float>(sum[i] / weight[i]) : 0.0f;
  return out;
}

std::vector<float> PitchShift(const std::vector<float>& x, double semitones, int sample_rate) {
  if (x.empty() || semitones == 0) return x;
  const double factor = std::pow(2.0, semitones / 12.0);
  const std::vector<float> longer = TimeStretch(x, 1.0 / factor, sample_rate);  // factor x longer, same pitch
  // Played back in the original length, every frequency is multiplied by `factor`.
  std::vector<float> out = audio::Resampler::Resample(longer, static_cast<double>(longer.size()), static_cast<double>(x.size()));
  out.resize(x.size(), 0.0f);
  return out;
}

std::vector<float> AugmentWaveform(const std::vector<float>& crop, int64_t length, int sample_rate,
                                   const AugmentConfig& c, std::mt19937_64* rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * unit(*rng); };
  std::vector<float> x = crop;
  if (c.time_stretch > 0) x = TimeStretch(x, uniform(1 - c.time_stretch, 1 + c.time_stretch), sample_rate);
  x.resize(static_cast<std::size_t>(length), 0.0f);  // the crop leaves room for the slowest stretch
  if (c.pitch_shift > 0) x = PitchShift(x, uniform(-c.pitch_shift, c.pitch_shift), sample_rate);
  if (c.time_shift > 0) {
    const double most = c.time_shift * static_cast<double>(length);
    TimeShift(&x, std::llround(uniform(-most, most)));
  }
  if (c.gain_db > 0) ApplyGain(&x, uniform(-c.gain_db, c.gain_db));
  if (c.noise_probability > 0 && unit(*rng) < c.noise_probability) AddNoise(&x, uniform(c.noise_snr_min, c.noise_snr_max), rng);
  return x;
}

SpecMasks DrawSpecMasks(int bands, int64_t frames, const AugmentConfig& c, std::mt19937_64* rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto pick = [&](int64_t n) { return static_cast<int64_t>(unit(*rng) * static_cast<double>(n + 1)) % (n + 1); };
  SpecMasks masks;
  for (int m = 0; m < c.time_masks; ++m) {
    const int64_t width = pick(std::min<int64_t>(frames, std::llround(c.time_mask_width * static_cast<double>(frames))));
    masks.time.emplace_back(pick(frames - width), width);
  }
  for (int m = 0; m < c.freq_masks; ++m) {
    const int64_t width = pick(std::min<int64_t>(bands, c.freq_mask_width));
    masks.freq.emplace_back(pick(bands - width), width);
  }
  return masks;
}

void SpecAugment(std::vector<float>* features, int bands, int64_t frames, const AugmentConfig& c,
                 std::mt19937_64* rng, float fill) {
  const SpecMasks masks = DrawSpecMasks(bands, frames, c, rng);
  for (const auto& [start, width] : masks.time) {
    for (int b = 0; b < bands; ++b) std::fill_n(features->begin() + static_cast<long>(b * frames + start), width, fill);
  }
  for (const auto& [start, width] : masks.freq) {
    std::fill_n(features->begin() + static_cast<long>(start * frames), width * frames, fill);
  }
}

MixupPlan MakeMixupPlan(std::size_t batch, double alpha, std::mt19937_64* rng) {
  MixupPlan plan;
  std::gamma_distribution<double> gamma(alpha, 1.0);
  const double a = gamma(*rng), b = gamma(*rng);
  plan.lambda = a + b > 0 ? a / (a + b) : 0.5;  // Beta(alpha, alpha) from two gamma draws
  plan.partner.resize(batch);
  for (std::size_t i = 0; i < batch; ++i) plan.partner[i] = i;
  std::shuffle(plan.partner.begin(), plan.partner.end(), *rng);
  return plan;
}

void MixRows(float* rows, std::size_t width, const MixupPlan& plan) {
  const std::vector<float> original(rows, rows + plan.partner.size() * width);
  const auto l = static_cast<float>(plan.lambda);
  for (std::size_t i = 0; i < plan.partner.size(); ++i) {
    for (std::size_t k = 0; k < width; ++k) {
      rows[i * width + k] = l * original[i * width + k] + (1 - l) * original[plan.partner[i] * width + k];
    }
  }
}

}  // namespace mer::data
