#include "mer/data/augment.h"

#include <algorithm>
#include <cmath>

#include "mer/audio/resampler.h"
#include "mer/core/config.h"
#include "mer/core/fields.h"

namespace mer::data {

using config::ThrowInvalid;

const config::Fields<AugmentConfig>& AugmentFields() {
  static const config::Fields<AugmentConfig> fields = [] {
    using A = AugmentConfig;
    using config::Within;
    config::Fields<A> f("augment");
    f.Add<double>("gain_db", &A::gain_db, Within(0.0, 60.0), "a number of dB in [0, 60]",
                  "gain uniform in [-gain_db, +gain_db] dB (0 = off)");
    f.Add<double>("noise_probability", &A::noise_probability, Within(0.0, 1.0), "a number in [0, 1]",
                  "chance that white noise is added to an example (0 = off)");
    f.Add<double>("noise_snr_min", &A::noise_snr_min, Within(-20.0, 100.0), "dB in [-20, 100]",
                  "the noise's SNR is uniform in [noise_snr_min, noise_snr_max] dB");
    f.Add<double>("noise_snr_max", &A::noise_snr_max, Within(-20.0, 100.0), "dB in [noise_snr_min, 100]",
                  "upper end of the noise's SNR");
    f.Add<double>("time_shift", &A::time_shift, Within(0.0, 1.0), "a fraction in [0, 1]",
                  "circular shift by up to this fraction of the crop, either way (0 = off)");
    f.Add<double>("pitch_shift", &A::pitch_shift, Within(0.0, 12.0), "semitones in [0, 12]",
                  "pitch shift uniform in [-pitch_shift, +pitch_shift] semitones, duration kept (0 = off)");
    f.Add<double>("time_stretch", &A::time_stretch, Within(0.0, 0.5), "a number in [0, 0.5]",
                  "rate uniform in [1 - time_stretch, 1 + time_stretch], pitch kept (0 = off)");
    f.Add<double>("mixup_alpha", &A::mixup_alpha, Within(0.0, 10.0), "a number in [0, 10]",
                  "mixup: inputs and targets mixed with lambda ~ Beta(alpha, alpha) (0 = off)");
    f.Add<int>("time_masks", &A::time_masks, Within(0, 20), "an integer in [0, 20]", "SpecAugment: time masks");
    f.Add<double>("time_mask_width", &A::time_mask_width, [](const double& v) { return v > 0 && v <= 1; },
                  "a fraction in (0, 1]", "SpecAugment: each time mask at most this fraction of the frames");
    f.Add<int>("freq_masks", &A::freq_masks, Within(0, 20), "an integer in [0, 20]", "SpecAugment: frequency masks");
    f.Add<int>("freq_mask_width", &A::freq_mask_width, Within(1, 1024), "an integer in [1, 1024]",
               "SpecAugment: each frequency mask at most this many mel bands");
    return f;
  }();
  return fields;
}

void AugmentConfig::Validate() const {
  AugmentFields().Validate(*this);
  if (!(noise_snr_max >= noise_snr_min)) ThrowInvalid("augment.noise_snr_max", noise_snr_max, "dB in [noise_snr_min, 100]");
}

nlohmann::json AugmentConfig::ToJson() const { return AugmentFields().ToJson(*this); }

AugmentConfig ParseAugmentConfig(const nlohmann::json& section) {
  AugmentConfig a;
  AugmentFields().Read(section, &a);
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
