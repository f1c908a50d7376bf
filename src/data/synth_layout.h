// Internal to the data library: what a dataset's synthetic-corpus writer (`mer data synth`) works with. Each
// dataset's file holds its loader, its writer and its registration; synth_layouts.cpp plans and renders the songs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "mer/core/file_io.h"
#include "mer/data/synth.h"

namespace mer::data {

namespace fs = std::filesystem;

struct Song {
  std::string id, artist, title;
  std::vector<float> valence, arousal;  // [0, 1] per 0.5 s
  std::vector<std::string> instruments;
  uint64_t seed = 0;
  bool labelled = true;
  fs::path audio;  // relative to the corpus root; empty = no audio (Deezer previews the user lacks)
  int channels = 1;

  double MeanValence() const { return std::accumulate(valence.begin(), valence.end(), 0.0) / valence.size(); }
  double MeanArousal() const { return std::accumulate(arousal.begin(), arousal.end(), 0.0) / arousal.size(); }
  // Mean over [from, to) seconds.
  double Mean(const std::vector<float>& curve, double from, double to) const {
    const std::size_t a = std::min(curve.size() - 1, static_cast<std::size_t>(from / 0.5));
    const std::size_t b = std::clamp(static_cast<std::size_t>(to / 0.5), a + 1, curve.size());
    return std::accumulate(curve.begin() + static_cast<long>(a), curve.begin() + static_cast<long>(b), 0.0) / (b - a);
  }
};

inline std::string Fmt(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, v);
  return buffer;
}

inline std::string Quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class Writer {
 public:
  explicit Writer(fs::path root) : root_(std::move(root)) {}
  void Text(const fs::path& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    WriteFileAtomically(root_ / relative, text);
    ++files_;
  }
  int files() const { return files_; }
  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
  int files_ = 0;
};

// Soft value of a CAL500-style tag ("Emotion-Happy", "NOT-Instrument_-_Piano", ...) for valence v and arousal a
// (1 = certainly present); hard = soft >= 0.5.
double TagValue(const std::string& tag, const std::vector<std::string>& instruments, double v, double a);
// Two songs per artist so that artist-disjoint splits matter; CAL500 quirk: one artist name contains '-'.
std::string Artist(std::size_t song);
// DEAM / PMEmo style wide curves: one row per song, one column per 0.5 s from 15 s (sample_15000ms, ...).
std::string WideCurves(const std::vector<Song>& songs, double seconds, bool valence, bool ragged, const char* id_column);

// A dataset's layout writer: the annotation files for `songs` (it may set ids, artists, audio paths, channels).
using LayoutWriter = void (*)(const SynthConfig&, std::vector<Song>&, Writer&, std::mt19937_64&);
struct SynthLayout {
  LayoutWriter write = nullptr;
  bool curves = false;  // has valence/arousal curves: songs must reach past 15 s
  bool moods = false;   // songs take one of a few clear moods (tag datasets)
};
void RegisterSynthLayout(const std::string& dataset, SynthLayout layout);
const SynthLayout* FindSynthLayout(const std::string& dataset);  // nullptr when the dataset has none

}  // namespace mer::data
