#include "mer/features/frontend_config.h"

#include <cmath>
#include <sstream>

#include "mer/core/config.h"
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

void FrontendConfig::Validate() const {
  const auto check = [](bool ok, const char* key, const Json& value, const std::string& expected) {
    if (!ok) ThrowInvalid(std::string("frontend.") + key, value, expected);
  };
  check(sample_rate >= 1000 && sample_rate <= 768000, "sample_rate", sample_rate, "an integer in [1000, 768000] Hz");
  check(n_fft >= 16 && n_fft <= (1 << 18), "n_fft", n_fft, "an integer in [16, 262144]");
  if (win_length) {
    check(*win_length >= 1 && *win_length <= n_fft, "win_length", *win_length,
          "an integer in [1, n_fft = " + std::to_string(n_fft) + "] or null");
  }
  check(hop_length >= 1 && hop_length <= 10 * sample_rate, "hop_length", hop_length,
        "an integer in [1, " + std::to_string(10 * sample_rate) + "] (at most 10 s)");
  const double nyquist = sample_rate / 2.0;
  check(std::isfinite(fmin) && fmin >= 0 && fmin < nyquist, "fmin", fmin,
        "a frequency in [0, " + Num(nyquist) + ") Hz (below sample_rate / 2)");
  if (fmax) {
    check(std::isfinite(*fmax) && *fmax > fmin && *fmax <= nyquist, "fmax", *fmax,
          "a frequency in (fmin = " + Num(fmin) + ", " + Num(nyquist) + "] Hz (at most sample_rate / 2) or null");
  }
  check(mel_scale == "slaney" || mel_scale == "htk", "mel_scale", mel_scale, "\"slaney\" or \"htk\"");
  check(norm == "slaney" || norm == "none", "norm", norm, "\"slaney\" or \"none\"");
  check(power == 1.0 || power == 2.0, "power", power, "1 (magnitude) or 2 (power)");
  check(pad_mode == "constant" || pad_mode == "reflect", "pad_mode", pad_mode, "\"constant\" or \"reflect\"");
  check(log == "db" || log == "log1p" || log == "none", "log", log, "\"db\", \"log1p\" or \"none\"");
  check(std::isfinite(log1p_scale) && log1p_scale > 0, "log1p_scale", log1p_scale, "a number > 0");
  if (top_db) check(std::isfinite(*top_db) && *top_db > 0, "top_db", *top_db, "a number > 0 (dB) or null");

  check(chroma == 0 || chroma == 12, "chroma", chroma, "0 (no chroma rows) or 12 (pitch classes C .. B)");
  if (chroma > 0) {
    check(chroma_n_fft >= 256 && chroma_n_fft <= (1 << 18), "chroma_n_fft", chroma_n_fft,
          "an integer in [256, 262144]");
    check(std::isfinite(chroma_fmin) && chroma_fmin >= 20 && chroma_fmin < nyquist, "chroma_fmin", chroma_fmin,
          "a frequency in [20, " + Num(nyquist) + ") Hz");
    check(std::isfinite(chroma_fmax) && chroma_fmax > chroma_fmin && chroma_fmax <= nyquist, "chroma_fmax",
          chroma_fmax, "a frequency in (chroma_fmin = " + Num(chroma_fmin) + ", " + Num(nyquist) + "] Hz");
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
  config::FieldReader r(j, "frontend");
  r.Read("sample_rate", &c.sample_rate);
  r.Read("n_fft", &c.n_fft);
  r.ReadNullable("win_length", &c.win_length);
  r.Read("hop_length", &c.hop_length);
  r.Read("n_mels", &c.n_mels);
  r.Read("fmin", &c.fmin);
  r.ReadNullable("fmax", &c.fmax);
  r.ReadChoice("mel_scale", {"slaney", "htk"}, &c.mel_scale);
  r.ReadChoice("norm", {"slaney", "none"}, &c.norm);
  r.Read("power", &c.power);
  r.Read("center", &c.center);
  r.ReadChoice("pad_mode", {"constant", "reflect"}, &c.pad_mode);
  r.ReadChoice("log", {"db", "log1p", "none"}, &c.log);
  r.Read("log1p_scale", &c.log1p_scale);
  r.ReadNullable("top_db", &c.top_db);
  r.Read("chroma", &c.chroma);
  r.Read("chroma_n_fft", &c.chroma_n_fft);
  r.Read("chroma_fmin", &c.chroma_fmin);
  r.Read("chroma_fmax", &c.chroma_fmax);
  r.RejectUnknownKeys();
  c.Validate();
}

void to_json(nlohmann::json& j, const FrontendConfig& c) {
  j = Json{{"sample_rate", c.sample_rate},
           {"n_fft", c.n_fft},
           {"win_length", c.win_length ? Json(*c.win_length) : Json(nullptr)},
           {"hop_length", c.hop_length},
           {"n_mels", c.n_mels},
           {"fmin", c.fmin},
           {"fmax", c.fmax ? Json(*c.fmax) : Json(nullptr)},
           {"mel_scale", c.mel_scale},
           {"norm", c.norm},
           {"power", c.power},
           {"center", c.center},
           {"pad_mode", c.pad_mode},
           {"log", c.log},
           {"log1p_scale", c.log1p_scale},
           {"top_db", c.top_db ? Json(*c.top_db) : Json(nullptr)}};
  // Written only when chroma is on or a chroma key was changed: configs (and feature-cache keys) of frontends
  // without chroma stay as they were before the keys existed.
  const FrontendConfig defaults;
  if (c.chroma != 0 || c.chroma_n_fft != defaults.chroma_n_fft || c.chroma_fmin != defaults.chroma_fmin ||
      c.chroma_fmax != defaults.chroma_fmax) {
    j["chroma"] = c.chroma;
    j["chroma_n_fft"] = c.chroma_n_fft;
    j["chroma_fmin"] = c.chroma_fmin;
    j["chroma_fmax"] = c.chroma_fmax;
  }
}

FrontendConfig FrontendConfigFromRunConfig(const nlohmann::json& run_config) {
  if (!run_config.is_object()) ThrowInvalid("config", run_config, "a JSON object");
  const auto it = run_config.find("frontend");
  if (it == run_config.end()) {
    FrontendConfig defaults;
    defaults.Validate();
    return defaults;
  }
  if (it->is_object() && it->contains("learnable")) {  // a training option of the run config, read there
    nlohmann::json fixed = *it;
    fixed.erase("learnable");
    return fixed.get<FrontendConfig>();
  }
  return it->get<FrontendConfig>();
}

}  // namespace mer::features
