// Synthetic corpora in each dataset's real layout, whose audio determines the labels in ways a listener would
// recognise and a model can learn:
//   arousal  -> tempo (70-180 bpm), note density, loudness, brightness (harmonic richness) and drum activity;
//   valence  -> mode (major vs minor chords, chosen per bar with probability = valence) and consonance (dissonant
//               added seconds / tritones become likelier as valence falls);
//   tags     -> instruments and textures (piano, strings, bass, drums, distorted guitar, voice-like formants) and
//               the emotion tags implied by valence/arousal.
// Dynamic datasets get valence/arousal that drift over the song; the curve files hold the values the audio was
// rendered with (2 Hz). The same seed writes the same corpus.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mer::data {

struct SynthConfig {
  std::string dataset;    // any registered dataset name
  int songs = 40;
  uint64_t seed = 1;
  double seconds = 30.0;  // length of each song (at least 16 s for the datasets with curves from 15 s)
  int sample_rate = 22050;
  int threads = 1;
};

struct SynthSummary {
  int songs = 0;
  int audio_files = 0;
  int annotation_files = 0;
};

// Writes into `out` (created; refused if it exists and is not empty, so nothing of the user's is overwritten).
// Throws ConfigError for invalid settings, OutputError when writing fails.
SynthSummary SynthesizeCorpus(const SynthConfig& config, const std::filesystem::path& out);

// The DEAM id `mer data synth --dataset deam` gives song i of n: distinct for every n up to 2057 (the release's id
// ranges 2-1000, 1001-2000, 2001-2058); ConfigError for more songs.
int DeamSynthId(std::size_t i, std::size_t n);

// One rendered song: mono samples at `sample_rate`, nominally within [-1, 1].
struct SongParams {
  std::vector<float> valence;   // per 0.5 s step, in [0, 1]; one value = constant
  std::vector<float> arousal;   // per 0.5 s step, in [0, 1]
  std::vector<std::string> instruments;  // subset of SynthInstruments()
  uint64_t seed = 0;
};
std::vector<float> RenderSong(const SongParams& params, double seconds, int sample_rate);
const std::vector<std::string>& SynthInstruments();

}  // namespace mer::data
