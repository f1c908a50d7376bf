// Synthetic corpora in each dataset's real layout (file names, columns, scales and quirks), rendered by RenderSong.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <sstream>

#include "cal500_vocabulary.h"
#include "mer/audio/writer.h"
#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/core/parallel.h"
#include "mer/data/registry.h"
#include "mer/data/synth.h"
#include "synth_layout.h"

namespace mer::data {
namespace {

// The 18 CAL500 emotions as functions of valence and arousal in [0, 1]: each a conjunction of thresholds.
struct EmotionRule {
  const char* name;
  std::vector<std::tuple<char, char, double>> conditions;  // ('v'|'a', '<'|'>', threshold)
};
const std::vector<EmotionRule>& EmotionRules() {
  static const std::vector<EmotionRule> rules = {
      {"Angry_/_Agressive", {{'a', '>', 0.6}, {'v', '<', 0.4}}},
      {"Arousing_/_Awakening", {{'a', '>', 0.6}}},
      {"Bizarre_/_Weird", {{'v', '<', 0.2}}},
      {"Calming_/_Soothing", {{'a', '<', 0.35}}},
      {"Carefree_/_Lighthearted", {{'v', '>', 0.6}, {'a', '>', 0.3}, {'a', '<', 0.7}}},
      {"Cheerful_/_Festive", {{'v', '>', 0.6}, {'a', '>', 0.55}}},
      {"Emotional_/_Passionate", {{'a', '>', 0.45}, {'v', '<', 0.55}}},
      {"Exciting_/_Thrilling", {{'a', '>', 0.7}}},
      {"Happy", {{'v', '>', 0.6}}},
      {"Laid-back_/_Mellow", {{'a', '<', 0.4}, {'v', '>', 0.4}}},
      {"Light_/_Playful", {{'v', '>', 0.55}, {'a', '>', 0.35}, {'a', '<', 0.65}}},
      {"Loving_/_Romantic", {{'v', '>', 0.55}, {'a', '<', 0.45}}},
      {"Pleasant_/_Comfortable", {{'v', '>', 0.5}, {'a', '<', 0.55}}},
      {"Positive_/_Optimistic", {{'v', '>', 0.55}}},
      {"Powerful_/_Strong", {{'a', '>', 0.65}}},
      {"Sad", {{'v', '<', 0.35}, {'a', '<', 0.5}}},
      {"Tender_/_Soft", {{'a', '<', 0.3}}},
      {"Touching_/_Loving", {{'v', '>', 0.45}, {'a', '<', 0.4}}},
  };
  return rules;
}

const std::map<std::string, std::string>& InstrumentTags() {
  static const std::map<std::string, std::string> tags = {
      {"piano", "Instrument_-_Piano"},         {"strings", "Instrument_-_String_Ensemble"},
      {"bass", "Instrument_-_Bass"},           {"drums", "Instrument_-_Drum_Set"},
      {"distorted_guitar", "Instrument_-_Electric_Guitar_(distorted)"},
      {"voice", "Instrument_-_Female_Lead_Vocals"}};
  return tags;
}

}  // namespace

double TagValue(const std::string& tag, const std::vector<std::string>& instruments, double v, double a) {
  const bool negated = tag.rfind("NOT-", 0) == 0;
  const std::string base = negated ? tag.substr(4) : tag;
  if (base.rfind("Emotion-", 0) == 0) {
    for (const auto& rule : EmotionRules()) {
      if (base != std::string("Emotion-") + rule.name) continue;
      double p = 1.0;
      for (const auto& [dim, op, threshold] : rule.conditions) {
        const double x = dim == 'v' ? v : a;
        p *= 1.0 / (1.0 + std::exp(-(op == '>' ? x - threshold : threshold - x) * 25.0));
      }
      return negated ? 1.0 - p : p;
    }
  }
  for (const auto& [instrument, name] : InstrumentTags()) {
    if (base == name) {
      const bool present = std::find(instruments.begin(), instruments.end(), instrument) != instruments.end();
      return negated ? !present : present;
    }
  }
  return 0.0;
}

namespace {

// Random songs: static levels spread over the plane, a slow drift for the curves, a random band. With `moods`
// (the tag datasets) each song takes one of five clear moods, so that its emotion tags are unambiguous, as the
// tags of real songs mostly are: excited-happy, calm-tender, sad, angry, dark-agitated.
std::vector<Song> PlanSongs(const SynthConfig& c, bool moods, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::size_t steps = static_cast<std::size_t>(c.seconds / 0.5) + 1;
  std::vector<Song> songs(static_cast<std::size_t>(c.songs));
  static const double kMoods[5][2] = {{0.75, 0.85}, {0.75, 0.15}, {0.27, 0.15}, {0.1, 0.85}, {0.27, 0.85}};
  const double drift = moods ? 0.02 : 0.08;
  for (auto& s : songs) {
    double v0 = 0.08 + 0.84 * u(rng), a0 = 0.08 + 0.84 * u(rng);
    if (moods) {
      const auto& mood = kMoods[static_cast<std::size_t>(u(rng) * 5) % 5];
      v0 = mood[0] + 0.08 * (u(rng) - 0.5);
      a0 = mood[1] + 0.08 * (u(rng) - 0.5);
    }
    const double period_v = 10 + 20 * u(rng), period_a = 10 + 20 * u(rng), phase_v = 6.3 * u(rng), phase_a = 6.3 * u(rng);
    for (std::size_t k = 0; k < steps; ++k) {
      const double t = 0.5 * k;
      s.valence.push_back(static_cast<float>(std::clamp(v0 + drift * std::sin(2 * M_PI * t / period_v + phase_v), 0.0, 1.0)));
      s.arousal.push_back(static_cast<float>(std::clamp(a0 + drift * std::sin(2 * M_PI * t / period_a + phase_a), 0.0, 1.0)));
    }
    for (const auto& instrument : SynthInstruments()) {
      if (u(rng) < 0.5) s.instruments.push_back(instrument);
    }
    if (s.instruments.empty()) s.instruments.push_back(u(rng) < 0.5 ? "piano" : "strings");
    s.seed = rng();
  }
  return songs;
}

void RenderAll(const SynthConfig& c, const fs::path& root, std::vector<Song>& songs, SynthSummary* summary) {
  std::atomic<int> written{0};
  std::vector<std::string> errors(songs.size());
  ParallelFor(songs.size(), c.threads, [&](std::size_t i) {
    const Song& s = songs[i];
    if (s.audio.empty()) return;
    try {
      SongParams p{s.valence, s.arousal, s.instruments, s.seed};
      std::vector<float> mono = RenderSong(p, c.seconds, c.sample_rate);
      std::vector<float> samples;
      if (s.channels == 2) {  // PMEmo: stereo, written as joint stereo by the MP3 encoder
        samples.resize(mono.size() * 2);
        for (std::size_t k = 0; k < mono.size(); ++k) samples[2 * k] = mono[k], samples[2 * k + 1] = 0.9f * mono[k];
      } else {
        samples = std::move(mono);
      }
      fs::create_directories((root / s.audio).parent_path());
      audio::WriteAudio(root / s.audio, samples, s.channels, c.sample_rate, audio::Container::kMp3);
      ++written;
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  });
  for (const auto& e : errors) {
    if (!e.empty()) throw OutputError(e);
  }
  summary->audio_files = written;
}

}  // namespace

std::string Artist(std::size_t song) {
  const std::size_t k = song / 2;
  return k == 0 ? "chi-lites" : "artist_" + std::to_string(k);
}


// Wide per-frame curve file from 15 s at 2 Hz; shorter songs end in empty cells (DEAM) when `ragged`.
std::string WideCurves(const std::vector<Song>& songs, double seconds, bool valence, bool ragged, const char* id_column) {
  const std::size_t columns = static_cast<std::size_t>((seconds - 15.0) / 0.5);
  std::string text = id_column;
  for (std::size_t k = 0; k < columns; ++k) text += ",sample_" + std::to_string(15000 + 500 * k) + "ms";
  text += "\n";
  for (std::size_t i = 0; i < songs.size(); ++i) {
    const Song& s = songs[i];
    text += s.id;
    const std::size_t filled = ragged && i % 5 == 2 ? columns - columns / 4 : columns;
    for (std::size_t k = 0; k < columns; ++k) {
      const std::size_t step = 30 + k;  // 15 s = step 30
      const float x = (valence ? s.valence : s.arousal)[std::min(step, s.valence.size() - 1)];
      text += "," + (k < filled ? Fmt("%.6f", 2.0 * x - 1.0) : std::string());
    }
    text += "\n";
  }
  return text;
}

namespace {

std::mutex g_layouts_mutex;
std::map<std::string, SynthLayout>& Layouts() {
  static std::map<std::string, SynthLayout> layouts;
  return layouts;
}

}  // namespace

void RegisterSynthLayout(const std::string& dataset, SynthLayout layout) {
  std::lock_guard<std::mutex> lock(g_layouts_mutex);
  Layouts()[dataset] = layout;
}

const SynthLayout* FindSynthLayout(const std::string& dataset) {
  std::lock_guard<std::mutex> lock(g_layouts_mutex);
  const auto it = Layouts().find(dataset);
  return it == Layouts().end() ? nullptr : &it->second;  // entries are never removed
}

// DEAM's id of song i of n. Up to 386 songs: 40% MediaEval 2013 songs (2, 7, 12, ... <= 1000), 45% 2014 songs
// (1001, 1004, ...), the rest full songs 2001-2058, as the synthetic corpora have always been written. Larger
// corpora keep the three id ranges of the real release (at most 999 + 1000 + 58 = 2057 songs): 58 full songs (or
// 15%), the others split 40:45 and spread evenly over 2-1000 and 1001-2000, so every id is distinct.
int DeamSynthId(std::size_t i, std::size_t n) {
  if (n <= 386) {
    const std::size_t first_2014 = n * 2 / 5, first_full = n * 17 / 20;
    return i < first_2014 ? 2 + static_cast<int>(i) * 5
           : i < first_full ? 1001 + static_cast<int>(i - first_2014) * 3
                            : 2001 + static_cast<int>(i - first_full);
  }
  const std::size_t full = std::min<std::size_t>(58, n - n * 17 / 20), rest = n - full;
  // 40:45, moved towards 2013 only where the 2014 range (1,000 ids) would overflow.
  const std::size_t first_2014 = std::max(rest > 1000 ? rest - 1000 : 0, rest * 40 / 85), first_full = rest;
  if (first_2014 > 999 || first_full - first_2014 > 1000) {
    throw ConfigError("--songs = " + std::to_string(n) + " is invalid for deam: its ids hold at most 2057 songs");
  }
  if (i < first_2014) return 2 + static_cast<int>(i * std::max<std::size_t>(1, 999 / first_2014));
  if (i < first_full) {
    return 1001 + static_cast<int>((i - first_2014) * std::max<std::size_t>(1, 1000 / (first_full - first_2014)));
  }
  return 2001 + static_cast<int>(i - first_full);
}

SynthSummary SynthesizeCorpus(const SynthConfig& c, const fs::path& out) {
  RegisterBuiltinDatasets();
  FindDataset(c.dataset);  // ConfigError listing the registered names
  if (c.songs < 4 || c.songs > 100000) config::ThrowInvalid("--songs", c.songs, "an integer in [4, 100000]");
  const SynthLayout* layout = FindSynthLayout(c.dataset);
  if (layout == nullptr) throw ConfigError("mer data synth has no layout for dataset '" + c.dataset + "'");
  const bool curves = layout->curves;
  const double min_seconds = curves ? 17.0 : 4.0;
  if (!(c.seconds >= min_seconds && c.seconds <= 600)) {
    config::ThrowInvalid("--seconds", c.seconds,
                         "a length in [" + Fmt("%g", min_seconds) + ", 600] s" + (curves ? " (curves start at 15 s)" : ""));
  }
  if (c.threads < 1) config::ThrowInvalid("--threads", c.threads, "an integer >= 1");
  if (c.dataset == "deam") DeamSynthId(0, static_cast<std::size_t>(c.songs));  // refuses more songs than DEAM has ids
  std::error_code ec;
  if (fs::exists(out, ec) && (!fs::is_directory(out, ec) || !fs::is_empty(out, ec))) {
    throw ConfigError("--out " + out.string() + ": exists and is not an empty folder (nothing is overwritten)");
  }
  fs::create_directories(out, ec);
  if (ec) throw OutputError(out.string() + ": cannot create folder: " + ec.message());

  std::mt19937_64 rng(c.seed);
  std::vector<Song> songs = PlanSongs(c, layout->moods, rng);
  Writer w(out);
  layout->write(c, songs, w, rng);
  SynthSummary summary;
  summary.songs = c.songs;
  summary.annotation_files = w.files();
  RenderAll(c, out, songs, &summary);
  return summary;
}

}  // namespace mer::data
