// The `frontend` section of a run config: how audio becomes a log-mel spectrogram. Defaults are librosa 0.10's
// (librosa.feature.melspectrogram + librosa.power_to_db(ref=1.0, amin=1e-10, top_db=80)).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mer::config {
template <typename S>
class Fields;
}  // namespace mer::config

namespace mer::features {

struct FrontendConfig {
  int sample_rate = 22050;              // Hz; audio is resampled to this rate
  int n_fft = 2048;                     // samples per FFT frame
  std::optional<int> win_length;        // samples of the periodic Hann window, <= n_fft; null = n_fft
  int hop_length = 512;                 // samples between frame starts
  int n_mels = 128;                     // mel bands
  double fmin = 0.0;                    // Hz, lowest filter edge
  std::optional<double> fmax;           // Hz, highest filter edge, <= sample_rate / 2; null = sample_rate / 2
  std::string mel_scale = "slaney";     // "slaney" (Auditory Toolbox) or "htk"
  std::string norm = "slaney";          // "slaney" (area normalisation: 2 / band width in Hz) or "none"
  double power = 2.0;                   // 1: magnitude, 2: power spectrum
  bool center = true;                   // pad n_fft / 2 on both sides so frame t is centred at t * hop_length
  std::string pad_mode = "constant";    // "constant" (zeros) or "reflect", used when center is true
  std::string log = "db";               // "db": 10 log10(max(1e-10, S)); "log1p": log10(1 + log1p_scale S); "none"
  double log1p_scale = 10000.0;         // C of the log1p compression (musicnn / Essentia use 10000)
  // "float16": each mel value is rounded to IEEE half precision (round to nearest even) before compression, as
  // musicnn's extractor and its training data store it (audio_rep.astype(np.float16)); "float32": kept as is.
  std::string mel_precision = "float32";
  std::optional<double> top_db = 80.0;  // dB below the spectrogram's maximum at which "db" output is floored; null: off
  // Pitch-class rows after the mel bands (0: none, 12: C, C#, ..., B): the power of a chroma_n_fft-point STFT at the
  // same hop, frame t centred where mel frame t is (zero-padded; reflected when centred with pad_mode reflect), each bin between chroma_fmin and chroma_fmax added to its nearest pitch class
  // (A4 = 440 Hz), each frame divided by its largest class (librosa's chroma norm=inf; a silent frame is all 0).
  // Not log-compressed, not floored by top_db, and not standardised by `mer train` (already in [0, 1]).
  int chroma = 0;
  int chroma_n_fft = 4096;      // samples per chroma FFT frame (a semitone at 100 Hz is 6 Hz wide)
  double chroma_fmin = 60.0;    // Hz
  double chroma_fmax = 5000.0;  // Hz, <= sample_rate / 2

  int EffectiveWinLength() const { return win_length.value_or(n_fft); }
  double EffectiveFmax() const { return fmax.value_or(sample_rate / 2.0); }
  int NumFrequencyBins() const { return n_fft / 2 + 1; }
  // Rows of the feature matrix: the mel bands, then the chroma rows.
  int NumRows() const { return n_mels + chroma; }
  // Pitch class (0 = C .. 11 = B) of each chroma FFT bin, -1 outside [chroma_fmin, chroma_fmax].
  std::vector<int> ChromaBinClasses() const;

  // Throws mer::ConfigError naming the key, the value and the valid range.
  void Validate() const;
};

// Reads and validates a `frontend` object; unknown keys are rejected listing the valid ones.
void from_json(const nlohmann::json& j, FrontendConfig& config);
void to_json(nlohmann::json& j, const FrontendConfig& config);
// The section's fields, declared once (mer/core/fields.h): reading, per-key validation, the JSON (also the feature
// cache's key) and docs/config.md. Validate() adds the rules over several keys (n_mels, chroma classes).
const config::Fields<FrontendConfig>& FrontendFields();

// The `frontend` object of a full config (absent: defaults), with dotted `frontend.KEY=VALUE` overrides applied.
// Its "learnable" key (the trainable frontend of `mer train`) is left to the run config.
FrontendConfig FrontendConfigFromRunConfig(const nlohmann::json& run_config);

}  // namespace mer::features
