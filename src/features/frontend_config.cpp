#include "mer/features/frontend_config.h"

#include <cmath>
#include <sstream>

#include "mer/core/config.h"
#include "mer/core/fields.h"
#include "mer/features/mel_filterbank.h"

namespace mer::features {
namespace {

using config::Json;
using config::ThrowInvalid;

std::string Num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Largest n_mels <= limit whose triangles each contain at least one FFT bin frequency (librosa warns
// "Empty filters detected" otherwise; such a band would be a constant floor). 0 if none.
int LargestNonEmptyMelCount(const FrontendConfig& c, int limit) {
  const int n_freqs = c.NumFrequencyBins();
  const double nyquist = c.sample_rate / 2.0;
  for (int n = limit; n >= 1; --n) {
    const double mel_min = HzToMel(c.fmin, c.mel_scale), mel_max = HzToMel(c.EffectiveFmax(), c.mel_scale);
    bool all_non_empty = true;
    int bin = 0;
    for (int m = 0; m < n && all_non_empty; ++m) {
      const double lower = MelToHz(mel_min + (mel_max - mel_min) * m / (n + 1), c.mel_scale);
      const double upper = MelToHz(mel_min + (mel_max - mel_min) * (m + 2) / (n + 1), c.mel_scale);
      while (bin < n_freqs && nyquist * bin / (n_freqs - 1) <= lower) ++bin;
      all_non_empty = bin < n_freqs && nyquist * bin / (n_freqs - 1) < upper;
    }
    if (all_non_empty) return n;
  }
  return 0;
}

}  // namespace

std::vector<int> FrontendConfig::ChromaBinClasses() const {
  const int bins = chroma_n_fft / 2 + 1;
  std::vector<int> classes(static_cast<std::size_t>(bins), -1);
  for (int k = 1; k < bins; ++k) {
    const double hz = static_cast<double>(k) * sample_rate / chroma_n_fft;
    if (hz < chroma_fmin || hz > chroma_fmax) continue;
    const long semitone = std::lround(12.0 * std::log2(hz / 440.0)) + 9;  // 0 = C
    classes[static_cast<std::size_t>(k)] = static_cast<int>(((semitone % 12) + 12) % 12);
  }
  return classes;
}

const config::Fields<FrontendConfig>& FrontendFields() {
  static const config::Fields<FrontendConfig> fields = [] {
    using F = FrontendConfig;
    using config::Within;
    const auto any_int = [](const int&) { return true; };
    const auto any_double = [](const double&) { return true; };
    const auto nyquist = [](const F& c) { return Num(c.sample_rate / 2.0); };
    config::Fields<F> f("frontend");
    f.Add<int>("sample_rate", &F::sample_rate, Within(1000, 768000), "an integer in [1000, 768000] Hz",
               "audio is resampled to this rate (libsoxr)");
    f.Add<int>("n_fft", &F::n_fft, Within(16, 1 << 18), "an integer in [16, 262144]", "samples per FFT frame");
    f.Nullable<int>("win_length", &F::win_length, any_int, "an integer in [1, n_fft] or null",
                    "samples of the periodic Hann window, zero-padded to n_fft (null = n_fft)")
        .Where([](const F& c) { return !c.win_length || (*c.win_length >= 1 && *c.win_length <= c.n_fft); },
               [](const F& c) { return "an integer in [1, n_fft = " + std::to_string(c.n_fft) + "] or null"; });
    f.Add<int>("hop_length", &F::hop_length, any_int, "an integer in [1, 10 x sample_rate] (at most 10 s)",
               "samples between frame starts")
        .Where([](const F& c) { return c.hop_length >= 1 && c.hop_length <= 10 * c.sample_rate; },
               [](const F& c) { return "an integer in [1, " + std::to_string(10 * c.sample_rate) + "] (at most 10 s)"; });
    f.Add<int>("n_mels", &F::n_mels, any_int,
               "an integer >= 1 that leaves no mel filter without an FFT bin (the error says the largest)",
               "mel bands");
    f.Add<double>("fmin", &F::fmin, any_double, "a frequency in [0, sample_rate / 2) Hz", "lowest filter edge")
        .Where([](const F& c) { return std::isfinite(c.fmin) && c.fmin >= 0 && c.fmin < c.sample_rate / 2.0; },
               [nyquist](const F& c) { return "a frequency in [0, " + nyquist(c) + ") Hz (below sample_rate / 2)"; });
    f.Nullable<double>("fmax", &F::fmax, any_double, "a frequency in (fmin, sample_rate / 2] Hz or null",
                       "highest filter edge (null = sample_rate / 2)")
        .Where([](const F& c) { return !c.fmax || (std::isfinite(*c.fmax) && *c.fmax > c.fmin && *c.fmax <= c.sample_rate / 2.0); },
               [nyquist](const F& c) {
                 return "a frequency in (fmin = " + Num(c.fmin) + ", " + nyquist(c) + "] Hz (at most sample_rate / 2) or null";
               });
    f.Choice("mel_scale", &F::mel_scale, {"slaney", "htk"}, "mel scale: slaney (Auditory Toolbox, librosa's default) or htk");
    f.Choice("norm", &F::norm, {"slaney", "none"}, "filter normalisation: slaney (area: 2 / band width in Hz) or none");
    f.Add<double>("power", &F::power, [](const double& v) { return v == 1.0 || v == 2.0; }, "1 (magnitude) or 2 (power)",
                  "exponent of the magnitude spectrum");
    f.Add<bool>("center", &F::center, [](const bool&) { return true; }, "true or false",
                "pad n_fft / 2 on both sides so frame t is centred at t x hop_length");
    f.Choice("pad_mode", &F::pad_mode, {"constant", "reflect"}, "padding when centred: constant (zeros) or reflect");
    f.Choice("log", &F::log, {"db", "log1p", "none"},
             "compression: db = 10 log10(max(1e-10, S)); log1p = log10(1 + log1p_scale S); none");
    f.Add<double>("log1p_scale", &F::log1p_scale, [](const double& v) { return std::isfinite(v) && v > 0; },
                  "a number > 0", "C of the log1p compression (musicnn / Essentia use 10000)");
    f.Choice("mel_precision", &F::mel_precision, {"float32", "float16"},
             "float16: each mel value rounded to IEEE half precision before compression (musicnn's extractor)")
        .OnlyWhenSet();
    f.Nullable<double>("top_db", &F::top_db, [](const double& v) { return std::isfinite(v) && v > 0; },
                       "a number > 0 (dB) or null", "db output floored this far below the spectrogram's maximum (null: off)");
    // The chroma keys are written only when chroma is on or one of them was changed: configs (and feature-cache
    // keys) of frontends without chroma stay as they were before the keys existed.
    const auto chroma_set = [](const F& c) {
      const F d;
      return c.chroma != 0 || c.chroma_n_fft != d.chroma_n_fft || c.chroma_fmin != d.chroma_fmin ||
             c.chroma_fmax != d.chroma_fmax;
    };
    f.Add<int>("chroma", &F::chroma, [](const int& v) { return v == 0 || v == 12; },
               "0 (no chroma rows) or 12 (pitch classes C .. B)",
               "pitch-class rows after the mel bands, from a chroma_n_fft-point STFT at the same hop, each frame "
               "divided by its largest class (not log-compressed, not standardised)")
        .OnlyWhen(chroma_set);
    f.Add<int>("chroma_n_fft", &F::chroma_n_fft, any_int, "an integer in [256, 262144] whose bins reach all 12 classes",
               "samples per chroma FFT frame")
        .OnlyWhen(chroma_set)
        .Where([](const F& c) { return c.chroma == 0 || (c.chroma_n_fft >= 256 && c.chroma_n_fft <= (1 << 18)); },
               [](const F&) { return std::string("an integer in [256, 262144]"); });
    f.Add<double>("chroma_fmin", &F::chroma_fmin, any_double, "a frequency in [20, sample_rate / 2) Hz",
                  "lowest frequency added to the chroma")
        .OnlyWhen(chroma_set)
        .Where([](const F& c) {
                 return c.chroma == 0 || (std::isfinite(c.chroma_fmin) && c.chroma_fmin >= 20 && c.chroma_fmin < c.sample_rate / 2.0);
               },
               [nyquist](const F& c) { return "a frequency in [20, " + nyquist(c) + ") Hz"; });
    f.Add<double>("chroma_fmax", &F::chroma_fmax, any_double, "a frequency in (chroma_fmin, sample_rate / 2] Hz",
                  "highest frequency added to the chroma")
        .OnlyWhen(chroma_set)
        .Where([](const F& c) {
                 return c.chroma == 0 || (std::isfinite(c.chroma_fmax) && c.chroma_fmax > c.chroma_fmin &&
                                          c.chroma_fmax <= c.sample_rate / 2.0);
               },
               [nyquist](const F& c) { return "a frequency in (chroma_fmin = " + Num(c.chroma_fmin) + ", " + nyquist(c) + "] Hz"; });
    return f;
  }();
  return fields;
}

void FrontendConfig::Validate() const {
  const auto check = [](bool ok, const char* key, const Json& value, const std::string& expected) {
    if (!ok) ThrowInvalid(std::string("frontend.") + key, value, expected);
  };
  FrontendFields().Validate(*this);
  if (chroma > 0) {
    std::vector<bool> seen(12, false);
    for (int c : ChromaBinClasses()) {
      if (c >= 0) seen[static_cast<std::size_t>(c)] = true;
    }
    for (int c = 0; c < 12; ++c) {
      check(seen[static_cast<std::size_t>(c)], "chroma_n_fft", chroma_n_fft,
            "an FFT size whose bins between chroma_fmin and chroma_fmax reach all 12 pitch classes (raise it, or "
            "widen the range)");
    }
  }

  const int n_freqs = NumFrequencyBins();
  // A bin can fall inside at most two neighbouring triangles, which bounds the count before the exact check.
  const int bound = 2 * n_freqs;
  if (n_mels < 1 || n_mels > bound || LargestNonEmptyMelCount(*this, n_mels) != n_mels) {
    const int largest = LargestNonEmptyMelCount(*this, std::max(1, std::min(n_mels - 1, bound)));
    ThrowInvalid("frontend.n_mels", n_mels,
                 "an integer in [1, " + std::to_string(largest) + "]: with n_fft = " + std::to_string(n_fft) + " at " +
                     std::to_string(sample_rate) + " Hz between " + Num(fmin) + " and " + Num(EffectiveFmax()) +
                     " Hz, more bands would leave some mel filters without any FFT bin");
  }
}

void from_json(const nlohmann::json& j, FrontendConfig& c) {
  FrontendFields().Read(j, &c);
  c.Validate();
}

void to_json(nlohmann::json& j, const FrontendConfig& c) { j = FrontendFields().ToJson(c); }

FrontendConfig FrontendConfigFromRunConfig(const nlohmann::json& run_config) {
  if (!run_config.is_object()) ThrowInvalid("config", run_config, "a JSON object");
  const auto it = run_config.find("frontend");
  if (it == run_config.end()) {
    FrontendConfig defaults;
    defaults.Validate();
    return defaults;
  }
  if (it->is_object() && (it->contains("learnable") || it->contains("pretrained"))) {  // the run config reads them
    nlohmann::json fixed = *it;
    fixed.erase("learnable");
    fixed.erase("pretrained");
    return fixed.get<FrontendConfig>();
  }
  return it->get<FrontendConfig>();
}

}  // namespace mer::features
