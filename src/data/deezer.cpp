// Deezer mood detection (Delbouys et al. 2018): 18,644 tracks with standardised valence/arousal and the official
// train (11,267) / validation (3,863) / test (3,514) split.
//   train.csv, validation.csv, test.csv   dzr_sng_id,MSD_sng_id,MSD_track_id,valence,arousal,artist_name,track_name
//                                         (UTF-8, LF, CSV quoting with doubled quotes)
//   audio: not distributed; the user's own previews, located by `audio_pattern` (default audio/{dzr_sng_id}.mp3).
#include <array>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "synth_layout.h"
#include "mer/core/error.h"

namespace mer::data {
namespace {

class DeezerLoader : public DeclaredLoader<DeezerLoader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<DeezerLoader>& f) {
    using L = DeezerLoader;
    f.Add<std::string>("audio_pattern", &L::audio_pattern_,
                       [](const std::string& v) { return v.find("{dzr_sng_id}") != std::string::npos; },
                       "a path containing {dzr_sng_id}, e.g. audio/{dzr_sng_id}.mp3",
                       "where each track's audio is, relative to root");
  }
  std::string OfficialSplitDescription() const override { return "train / validation / test"; }

  Corpus Load(const fs::path& root) const override {
    Corpus corpus;
    corpus.dataset = "deezer";
    corpus.root = root;
    corpus.schema = VaSchema(-3.0, 3.0);  // standardised: mean 0
    corpus.schema.midpoint = 0.0;
    const std::array<std::pair<const char*, const char*>, 3> files = {
        {{"train.csv", "train"}, {"validation.csv", "val"}, {"test.csv", "test"}}};
    for (const auto& [file, split] : files) {
      const fs::path path = root / file;
      RequireFile(path, std::string("Deezer ") + file);
      const CsvTable t = ReadCsv(path);
      // One empty part is possible (a user's subset); all three empty is refused by the corpus check.
      if (t.rows.empty()) corpus.warnings.push_back(path.string() + ": header only, no data rows");
      const std::size_t id = t.Column("dzr_sng_id"), valence = t.Column("valence"), arousal = t.Column("arousal"),
                        artist = t.Column("artist_name"), title = t.Column("track_name");
      for (const auto& row : t.rows) {
        t.RequireHeaderWidth(row);
        Item item;
        item.id = t.Field(row, id);
        CheckSafeId(item.id, t.Where(row));
        item.labels = {static_cast<float>(t.Number(row, valence)), static_cast<float>(t.Number(row, arousal))};
        item.artist = t.Field(row, artist);
        item.title = t.Field(row, title);
        item.group = "artist:" + item.artist;
        item.official_split = split;
        std::string audio = audio_pattern_;
        for (auto at = audio.find("{dzr_sng_id}"); at != std::string::npos; at = audio.find("{dzr_sng_id}")) {
          audio.replace(at, 12, item.id);
        }
        item.audio = UnderRoot(root, audio);
        corpus.items.push_back(std::move(item));
      }
    }
    return corpus;
  }

 private:
  std::string audio_pattern_ = "audio/{dzr_sng_id}.mp3";
};

}  // namespace

std::unique_ptr<DatasetLoader> MakeDeezerLoader() { return std::make_unique<DeezerLoader>(); }

namespace {

// mer data synth --dataset deezer: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace deezer {
void Register() {
  RegisterDataset({"deezer", "Deezer mood detection: 18,644 tracks, standardised valence/arousal", MakeDeezerLoader});
  RegisterSynthLayout("deezer", {WriteDeezer, false, false});
}
}  // namespace deezer

}  // namespace mer::data
