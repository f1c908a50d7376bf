// Synthetic corpora in each dataset's real layout (file names, columns, scales and quirks), rendered by RenderSong.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
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

namespace mer::data {
namespace {

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

std::string Fmt(const char* format, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, v);
  return buffer;
}

std::string Quote(const std::string& s) {
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

// Soft value of a tag for valence v and arousal a (1 = certainly present); hard = soft >= 0.5.
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

std::string Artist(std::size_t song) {
  // Two songs per artist so that artist-disjoint splits matter; CAL500 quirk: one artist name contains '-'.
  const std::size_t k = song / 2;
  return k == 0 ? "chi-lites" : "artist_" + std::to_string(k);
}

void WriteCal500(const SynthConfig&, std::vector<Song>& songs, Writer& w, std::mt19937_64&) {
  const auto& vocab = Cal500Vocabulary();
  std::string names, hard, soft, vocab_text;
  for (const auto& t : vocab) vocab_text += t + "\n";
  for (std::size_t i = 0; i < songs.size(); ++i) {
    Song& s = songs[i];
    s.artist = Artist(i);
    s.title = (i % 7 == 3 ? "sha-la-la_" : "song_") + std::to_string(i);  // titles may contain '-'
    s.id = s.artist + "-" + s.title;
    s.audio = fs::path("CAL500_32kps") / (s.id + ".mp3");
    names += s.id + "\n";
    const double v = s.MeanValence(), a = s.MeanArousal();
    for (std::size_t t = 0; t < vocab.size(); ++t) {
      const double value = TagValue(vocab[t], s.instruments, v, a);
      hard += std::string(value >= 0.5 ? "1" : "0") + (t + 1 < vocab.size() ? "," : "\n");
      // Soft annotations are shares of annotators (quarters) like the real file.
      soft += Fmt("%g", std::round(value * 4) / 4) + (t + 1 < vocab.size() ? "," : "\n");
    }
  }
  w.Text("CAL500_noAudioFeatures/vocab.txt", vocab_text);
  w.Text("CAL500_noAudioFeatures/songNames.txt", names);
  w.Text("CAL500_noAudioFeatures/hardAnnotations.txt", hard);
  w.Text("CAL500_noAudioFeatures/softAnnotations.txt", soft);
}

void WriteCal500Exp(const SynthConfig& c, std::vector<Song>& songs, Writer& w, std::mt19937_64& rng) {
  const auto& tags = Cal500ExpTags();
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t i = 0; i < songs.size(); ++i) {
    Song& s = songs[i];
    s.artist = Artist(i);
    s.title = "song_" + std::to_string(i);
    s.id = s.artist + "-" + s.title;
    s.audio = fs::path("CAL500_32kps") / (s.id + ".mp3");
    std::string header = "Start_Time,End_Time";
    for (const auto& t : tags) header += "," + t;
    std::vector<std::string> rows;
    double start = 0.5 * u(rng);
    while (start + 3.0 < c.seconds) {
      const double end = std::min(c.seconds - 0.1, start + 3.0 + 5.0 * u(rng));
      const double v = s.Mean(s.valence, start, end), a = s.Mean(s.arousal, start, end);
      std::string row = Fmt("%.6f", start) + "," + Fmt("%.6f", end);
      for (const auto& t : tags) row += "," + Fmt("%.6f", TagValue(t, s.instruments, v, a) >= 0.5 ? 1.0 : 0.0);
      rows.push_back(row);
      start = end + 0.5 + 2.0 * u(rng);
    }
    std::shuffle(rows.begin(), rows.end(), rng);  // real files list segments out of time order
    std::string text = header + "\r\n";
    for (const auto& r : rows) text += r + "\r\n";
    w.Text(fs::path("SegLabelHard") / (s.id + ".csv"), text);
  }
}

void WritePmemo(const SynthConfig& c, std::vector<Song>& songs, Writer& w, std::mt19937_64&) {
  std::string metadata = "musicId,fileName,title,artist,album,duration,chorus_start_time,chorus_end_time\n";
  std::string stat = "musicId,Arousal(mean),Valence(mean)\n", stat_std = "musicId,Arousal(std),Valence(std)\n";
  std::string dynamic = "musicId,frameTime,Arousal(mean),Valence(mean)\n";
  for (std::size_t i = 0; i < songs.size(); ++i) {
    Song& s = songs[i];
    s.id = std::to_string(1 + 3 * i);  // ids with gaps
    s.artist = "Artist " + std::to_string(i / 2);
    s.title = "Title " + std::to_string(i);
    if (i == 1) s.title = songs[0].title;  // a duplicate song under two ids (PMEmo has 996/997, 90/92)
    s.audio = fs::path("chorus") / (s.id + ".mp3");
    s.channels = 2;
    s.labelled = i % 29 != 5;  // about 3% of the clips have no labels
    metadata += s.id + "," + s.id + ".mp3," + Quote(s.title) + "," + Quote(s.artist) + "," +
                Quote("Album, Vol. " + std::to_string(i % 3)) + "," + Fmt("%.2f", c.seconds) + ",01:05,01:" +
                Fmt("%02.0f", std::min(59.0, 5 + c.seconds)) + "\n";
    if (!s.labelled) continue;
    stat += s.id + "," + Fmt("%.4f", s.MeanArousal()) + "," + Fmt("%.4f", s.MeanValence()) + "\n";
    stat_std += s.id + ",0.1,0.1\n";
    for (double t = 15.5; t <= c.seconds - 0.5 + 1e-9; t += 0.5) {
      const std::size_t k = static_cast<std::size_t>(t / 0.5);
      dynamic += s.id + "," + Fmt("%.1f", t) + "," + Fmt("%.4f", s.arousal[k]) + "," + Fmt("%.4f", s.valence[k]) + "\n";
    }
  }
  w.Text("metadata.csv", metadata);
  w.Text("annotations/static_annotations.csv", stat);
  w.Text("annotations/static_annotations_std.csv", stat_std);
  w.Text("annotations/dynamic_annotations.csv", dynamic);
}

void WritePmemo2018(const SynthConfig& c, std::vector<Song>& songs, Writer& w, std::mt19937_64& rng) {
  std::string metadata = "song_id,file_name,artist,song_title\n", chorus = "id,start_time,end_time\n";
  std::vector<std::string> a_rows, v_rows;
  for (std::size_t i = 0; i < songs.size(); ++i) {
    Song& s = songs[i];
    s.id = std::to_string(1 + 3 * i);
    s.artist = "Artist " + std::to_string(i / 2);
    s.title = i % 4 == 1 ? "Title, Part " + std::to_string(i) : "Title " + std::to_string(i);  // unquoted commas
    s.audio = fs::path("Chorus") / (s.id + ".mp3");
    s.labelled = i % 29 != 5;
    metadata += s.id + "," + s.id + ".mp3," + s.artist + "," + s.title + "\n";
    chorus += s.id + ",01:05,01:35\n";
    if (!s.labelled) continue;
    a_rows.push_back(s.id + "," + Fmt("%.4f", s.MeanArousal()) + ",0.2");
    v_rows.push_back(s.id + "," + Fmt("%.4f", s.MeanValence()) + ",0.2");
    std::string arousal_curve = "time,annotator_1,annotator_2\n", valence_curve = arousal_curve;
    for (double t = 15.5; t <= c.seconds - 0.5 + 1e-9; t += 0.5) {
      const std::size_t k = static_cast<std::size_t>(t / 0.5);
      arousal_curve += Fmt("%.1f", t) + "," + Fmt("%.4f", s.arousal[k] - 0.02) + "," + Fmt("%.4f", s.arousal[k] + 0.02) + "\n";
      valence_curve += Fmt("%.1f", t) + "," + Fmt("%.4f", s.valence[k] - 0.02) + "," + Fmt("%.4f", s.valence[k] + 0.02) + "\n";
    }
    w.Text(fs::path("Annotations/Arousal") / (s.id + "-A.csv"), arousal_curve);
    w.Text(fs::path("Annotations/Valence") / (s.id + "-V.csv"), valence_curve);
  }
  std::shuffle(a_rows.begin(), a_rows.end(), rng);  // the real A_static.csv is unsorted
  std::shuffle(v_rows.begin(), v_rows.end(), rng);
  std::string a_text = "musicId,mean_A,std_A\n", v_text = "musicId,mean_V,std_V\n";
  for (const auto& r : a_rows) a_text += r + "\n";
  for (const auto& r : v_rows) v_text += r + "\n";
  w.Text("metadata.csv", metadata);
  w.Text("chorus.csv", chorus);
  w.Text("A_static.csv", a_text);
  w.Text("V_static.csv", v_text);
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

void WriteDeam(const SynthConfig& c, std::vector<Song>& songs, Writer& w, std::mt19937_64&) {
  std::string excerpts = "song_id, valence_mean, valence_std, arousal_mean, arousal_std\r\n";
  std::string full = "song_id, valence_mean, valence_std, valence_ max_mean, valence_max_std, valence_min_mean, "
                     "valence_min_std, arousal_mean, arousal_std, arousal_max_mean, arousal_max_std, arousal_min_mean, "
                     "arousal_min_std\r\n";
  const std::size_t n = songs.size();
  for (std::size_t i = 0; i < n; ++i) {
    Song& s = songs[i];
    const int id = DeamSynthId(i, n);
    s.id = std::to_string(id);
    s.audio = fs::path("MEMD_audio") / (s.id + ".mp3");
    double v = 1 + 8 * s.MeanValence(), a = 1 + 8 * s.MeanArousal();
    if (id <= 1000) std::swap(v, a);  // the real file's quirk: these rows name valence and arousal the other way round
    if (id <= 2000) {
      excerpts += s.id + "," + Fmt("%.1f", v) + ",1.2," + Fmt("%.1f", a) + ",1.1\r\n";
    } else {
      full += s.id + "," + Fmt("%.1f", v) + ",0.98,8.0,1.0,2.0,1.0," + Fmt("%.1f", a) + ",0.8,8.6,0.49,3.4,1.02\r\n";
    }
  }
  const std::string level = "annotations/annotations averaged per song/song_level/";
  const std::string dynamic = "annotations/annotations averaged per song/dynamic (per second annotations)/";
  w.Text(level + "static_annotations_averaged_songs_1_2000.csv", excerpts);
  w.Text(level + "static_annotations_averaged_songs_2000_2058.csv", full);
  w.Text(dynamic + "arousal.csv", WideCurves(songs, c.seconds, false, true, "song_id"));
  w.Text(dynamic + "valence.csv", WideCurves(songs, c.seconds, true, true, "song_id"));
}

void WriteEmoMusic(const SynthConfig& c, std::vector<Song>& songs, Writer& w, std::mt19937_64&) {
  std::string stat = "song_id,mean_arousal,std_arousal,mean_valence,std_valence\n";
  std::string info = "\"song_id\",\"file_name\",\"Artist\",\"Song title\",\"start of the segment (min.sec)\","
                     "\"end of the segment (min.sec)\",\"Genre\",\"Mediaeval 2013 set\"\n";
  for (std::size_t i = 0; i < songs.size(); ++i) {
    Song& s = songs[i];
    s.id = std::to_string(2 + 3 * i);
    s.artist = "Artist " + std::to_string(i / 2);
    s.title = "Title " + std::to_string(i);
    s.audio = fs::path("clips_45seconds") / (s.id + ".mp3");
    stat += s.id + "," + Fmt("%.1f", 1 + 8 * s.MeanArousal()) + ",0.9," + Fmt("%.1f", 1 + 8 * s.MeanValence()) + ",0.8\n";
    const bool evaluation = (i / 2) % 6 == 5;  // whole artists, about 1 in 6
    info += s.id + ",\"\t" + s.id + ".mp3\",\"" + s.artist + "\t\",\"\t" + s.title + "\t\",\"\t0.48\t\",\"\t1.33\t\",\"\tPop\t\",\"" +
            (evaluation ? "evaluation" : "development") + "\"\n";
  }
  w.Text("annotations/static_annotations.csv", stat);
  w.Text("annotations/songs_info.csv", info);
  w.Text("annotations/arousal_cont_average.csv", WideCurves(songs, c.seconds, false, false, "song_id"));
  w.Text("annotations/valence_cont_average.csv", WideCurves(songs, c.seconds, true, false, "song_id"));
}

void WriteDeezer(const SynthConfig&, std::vector<Song>& songs, Writer& w, std::mt19937_64& rng) {
  const std::string header = "dzr_sng_id,MSD_sng_id,MSD_track_id,valence,arousal,artist_name,track_name\n";
  std::string parts[3] = {header, header, header};
  for (std::size_t i = 0; i < songs.size(); ++i) {
    Song& s = songs[i];
    s.id = std::to_string(100000 + rng() % 9000000);
    s.artist = i % 6 == 1 ? "The \"Quoted\" Band, Ltd." : "Artist " + std::to_string(i / 2);
    s.title = "Track " + std::to_string(i);
    s.audio = i % 10 == 7 ? fs::path() : fs::path("audio") / (s.id + ".mp3");  // some previews are missing
    const int part = (i / 2) % 5 < 3 ? 0 : (i / 2) % 5 == 3 ? 1 : 2;
    parts[part] += s.id + ",SOSYNTH" + std::to_string(i) + ",TRSYNTH" + std::to_string(i) + "," +
                   Fmt("%.12g", (s.MeanValence() - 0.5) / 0.25) + "," + Fmt("%.12g", (s.MeanArousal() - 0.5) / 0.25) +
                   "," + Quote(s.artist) + "," + Quote(s.title) + "\n";
  }
  w.Text("train.csv", parts[0]);
  w.Text("validation.csv", parts[1]);
  w.Text("test.csv", parts[2]);
}

// 4Q (Panda et al. 2018): Q1..Q4 folders of <Song>.mp3, `Song,Quadrant` annotations (LF) and the metadata with
// every field quoted (CRLF) and `; `-separated AllMusic moods. The quadrant is the song's mean valence/arousal
// quadrant; every tenth clip is missing, as 180 of the 900 are in the shared copy.
void WriteFourQ(const SynthConfig&, std::vector<Song>& songs, Writer& w, std::mt19937_64& rng) {
  static const char* const kMoods[4][3] = {{"Happy", "Exuberant", "Cheerful"},
                                           {"Angry", "Tense", "Aggressive"},
                                           {"Sad", "Gloomy", "Melancholy"},
                                           {"Calm", "Tender", "Peaceful"}};
  std::string annotations = "Song,Quadrant\n";
  std::string metadata =
      "\"Song\",\"Artist\",\"Title\",\"Quadrant\",\"PQuad\",\"MoodsTotal\",\"Moods\",\"MoodsFoundStr\",\"MoodsStr\","
      "\"MoodsStrSplit\",\"Genres\",\"GenresStr\",\"Sample\",\"SampleURL\"\r\n";
  for (std::size_t i = 0; i < songs.size(); ++i) {
    Song& s = songs[i];
    s.id = "MT" + Fmt("%010.0f", static_cast<double>(4000 + i * 7919));
    s.artist = Artist(i);
    s.title = "Song " + std::to_string(i);
    const int q = Quadrant(s.MeanValence(), s.MeanArousal(), 0.5);
    const std::string quadrant = kQuadrantNames[q];
    s.audio = i % 10 == 9 ? fs::path() : fs::path(quadrant) / (s.id + ".mp3");
    std::string moods;
    for (int k = 0; k < 2 + static_cast<int>(rng() % 2); ++k) moods += (moods.empty() ? "" : "; ") + std::string(kMoods[q][k]);
    annotations += s.id + "," + quadrant + "\n";
    metadata += "\"" + s.id + "\",\"" + s.artist + "\",\"" + s.title + "\",\"" + quadrant + "\",1,3,3,\"" + moods + "\",\"" +
                moods + "\",\"" + moods + "\",1,\"Electronic\",1,\"http://example.invalid/" + s.id + ".mp3\"\r\n";
  }
  w.Text("panda_dataset_taffc_annotations.csv", annotations);
  w.Text("panda_dataset_taffc_metadata.csv", metadata);
}

// `csv` (a user's own data): clips.csv with the audio path under audio/<artist>/, the artist, valence and arousal
// in [1, 9], the quadrant as a class name (happy, angry, sad, calm) and `;`-separated tags; every tenth clip is in
// the test part of the `part` column. Train with data.audio_column = "path" and the label keys of your choice.
void WriteCsvLayout(const SynthConfig&, std::vector<Song>& songs, Writer& w, std::mt19937_64&) {
  static const char* const kMood[4] = {"happy", "angry", "sad", "calm"};
  std::string table = "path,artist,valence,arousal,mood,tags,part\n";
  for (std::size_t i = 0; i < songs.size(); ++i) {
    Song& s = songs[i];
    s.artist = Artist(i);
    s.audio = fs::path("audio") / s.artist / ("clip_" + std::to_string(i) + ".mp3");
    const int q = Quadrant(s.MeanValence(), s.MeanArousal(), 0.5);
    std::string tags;
    for (const auto& instrument : s.instruments) tags += (tags.empty() ? "" : ";") + instrument;
    table += s.audio.generic_string() + "," + s.artist + "," + Fmt("%.4f", 1 + 8 * s.MeanValence()) + "," +
             Fmt("%.4f", 1 + 8 * s.MeanArousal()) + "," + kMood[q] + "," + tags + "," +
             (i % 10 == 9 ? "test" : i % 10 == 8 ? "val" : "train") + "\n";
  }
  w.Text("clips.csv", table);
}

using LayoutWriter = void (*)(const SynthConfig&, std::vector<Song>&, Writer&, std::mt19937_64&);

// One writer per registered dataset; the layouts with curves need songs long enough to reach past 15 s.
struct Layout {
  LayoutWriter write;
  bool curves;
  bool moods;  // songs take one of a few clear moods (tag datasets)
};
const std::map<std::string, Layout>& Layouts() {
  static const std::map<std::string, Layout> layouts = {
      {"cal500", {WriteCal500, false, true}},     {"cal500exp", {WriteCal500Exp, false, true}},
      {"pmemo", {WritePmemo, true, false}},       {"pmemo2018", {WritePmemo2018, true, false}},
      {"deam", {WriteDeam, true, false}},         {"emomusic", {WriteEmoMusic, true, false}},
      {"deezer", {WriteDeezer, false, false}},   {"fourq", {WriteFourQ, false, false}},
      {"csv", {WriteCsvLayout, false, false}}};
  return layouts;
}

}  // namespace

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
  const auto layout = Layouts().find(c.dataset);
  if (layout == Layouts().end()) throw ConfigError("mer data synth has no layout for dataset '" + c.dataset + "'");
  const bool curves = layout->second.curves;
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
  std::vector<Song> songs = PlanSongs(c, layout->second.moods, rng);
  Writer w(out);
  layout->second.write(c, songs, w, rng);
  SynthSummary summary;
  summary.songs = c.songs;
  summary.annotation_files = w.files();
  RenderAll(c, out, songs, &summary);
  return summary;
}

}  // namespace mer::data
