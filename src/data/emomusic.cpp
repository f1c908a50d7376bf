// 1000 Songs / emoMusic (Soleymani et al., MediaEval 2013): 744 clips of 45 s, static valence/arousal on 1-9 and
// per-frame curves in [-1, 1] at 2 Hz from 15 s to 45 s.
//   annotations/static_annotations.csv       song_id,mean_arousal,std_arousal,mean_valence,std_valence
//   annotations/{arousal,valence}_cont_average.csv   song_id,sample_15000ms,...,sample_45000ms
//   annotations/songs_info.csv               quoted fields with stray TABs; "Mediaeval 2013 set" = development /
//                                            evaluation: the official split (development -> train + val)
//   clips_45seconds/<id>.mp3 (also found under audio/clips_45seconds/)
// The column names are right here (see deam.cpp for the evidence); `va_columns: "swapped"` reads them the other way.
// `labels: "curve_mean"` (Quan & Dong's labels) takes each clip's valence/arousal as the mean of its 2 Hz curves
// (scale [-1, 1]) instead of the static ratings (1-9); clips without curves are left out with a warning.
#include <map>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "synth_layout.h"
#include "mer/core/error.h"
#include "va_cross_check.h"

namespace mer::data {
namespace {

class EmoMusicLoader : public DeclaredLoader<EmoMusicLoader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<EmoMusicLoader>& f) {
    using L = EmoMusicLoader;
    f.Text("audio_dir", &L::audio_dir_, "a folder under root or \"\"",
           "the clips; \"\" = clips_45seconds, else audio/clips_45seconds");
    f.Choice("va_columns", &L::va_columns_, {"as_named", "swapped"}, "swapped reverses the valence and arousal columns");
    f.Text("cross_check_root", &L::cross_check_root_, "a DEAM folder or \"\"",
           "warn where DEAM there disagrees on the shared songs");
    f.Choice("labels", &L::labels_, {"static", "curve_mean"},
             "static = the 1-9 ratings; curve_mean = each clip's mean of its 2 Hz curves on [-1, 1] (Quan & Dong)")
        .OnlyWhenSet();  // added later: absent at its default, as in older runs
  }
  std::string OfficialSplitDescription() const override { return "MediaEval 2013 development / evaluation"; }

  Corpus Load(const fs::path& root) const override {
    const fs::path annotations = root / "annotations";
    const fs::path static_path = annotations / "static_annotations.csv", info_path = annotations / "songs_info.csv";
    RequireFile(static_path, "1000 Songs static_annotations.csv");
    Corpus corpus;
    corpus.dataset = "emomusic";
    corpus.root = root;
    corpus.schema = VaSchema(1.0, 9.0);
    const fs::path audio_dir =
        audio_dir_.empty() ? FirstExisting(root, {"clips_45seconds", "audio/clips_45seconds"}) : UnderRoot(root, audio_dir_);
    struct Info {
      std::string artist, title, set;
    };
    std::map<std::string, Info> info;
    std::error_code ec;
    if (fs::is_regular_file(info_path, ec)) {
      const CsvTable t = ReadCsv(info_path);
      const std::size_t id = t.Column("song_id"), artist = t.Column("Artist"), title = t.Column("Song title"),
                        set = t.Column("Mediaeval 2013 set");
      for (const auto& row : t.rows) {
        t.RequireFields(row, t.header.size());
        const std::string& s = t.Field(row, set);
        if (s != "development" && s != "evaluation") {
          throw InputError(t.Where(row) + ": Mediaeval 2013 set '" + s + "' (expected development or evaluation)");
        }
        info[t.Field(row, id)] = Info{t.Field(row, artist), t.Field(row, title), s};
      }
    } else {
      corpus.warnings.push_back(info_path.string() + " not found: no official split, no artists");
    }
    const CsvTable t = ReadCsv(static_path);
    t.RequireRows();
    const std::size_t id = t.Column("song_id"), arousal = t.Column("mean_arousal"), valence = t.Column("mean_valence");
    for (const auto& row : t.rows) {
      Item item;
      item.id = t.Field(row, id);
      CheckSafeId(item.id, t.Where(row));
      double v = t.Number(row, valence), a = t.Number(row, arousal);
      if (v < 1 || v > 9 || a < 1 || a > 9) throw InputError(t.Where(row) + ": valence/arousal outside [1, 9]");
      if (va_columns_ == "swapped") std::swap(v, a);
      item.labels = {static_cast<float>(v), static_cast<float>(a)};
      item.audio = audio_dir / (item.id + ".mp3");
      const auto it = info.find(item.id);
      if (it != info.end()) {
        item.artist = it->second.artist;
        item.title = it->second.title;
        item.official_split = it->second.set == "evaluation" ? "test" : "train";
      }
      item.group = item.artist.empty() ? "id:" + item.id : "artist:" + item.artist;
      corpus.items.push_back(std::move(item));
    }
    AttachCurvesAndCheck(&corpus, annotations / "arousal_cont_average.csv", annotations / "valence_cont_average.csv",
                         va_columns_ == "swapped");
    if (labels_ == "curve_mean") UseCurveMeans(&corpus, annotations);
    if (!cross_check_root_.empty()) {
      RecordCrossCheck(&corpus, MakeDeamLoader()->Load(cross_check_root_), "DEAM", cross_check_root_);
    }
    return corpus;
  }

 private:
  static void UseCurveMeans(Corpus* corpus, const fs::path& annotations) {
    corpus->schema = VaSchema(-1.0, 1.0);
    std::vector<Item> kept;
    for (Item& item : corpus->items) {
      if (!item.dynamic || item.dynamic->valence.empty()) continue;
      double v = 0, a = 0;
      for (std::size_t i = 0; i < item.dynamic->valence.size(); ++i) v += item.dynamic->valence[i], a += item.dynamic->arousal[i];
      const double n = static_cast<double>(item.dynamic->valence.size());
      item.labels = {static_cast<float>(v / n), static_cast<float>(a / n)};
      kept.push_back(std::move(item));
    }
    const std::size_t dropped = corpus->items.size() - kept.size();
    if (dropped > 0) {
      corpus->warnings.push_back(std::to_string(dropped) + " clips have no valence/arousal curves in " +
                                 (annotations / "{valence,arousal}_cont_average.csv").string() +
                                 ": left out (labels: curve_mean)");
    }
    corpus->items = std::move(kept);
  }

  std::string labels_ = "static";
  std::string audio_dir_;  // empty: clips_45seconds, else audio/clips_45seconds
  std::string va_columns_ = "as_named";
  std::string cross_check_root_;
};

}  // namespace

std::unique_ptr<DatasetLoader> MakeEmoMusicLoader() { return std::make_unique<EmoMusicLoader>(); }

namespace {

// mer data synth --dataset emomusic: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace emomusic {
void Register() {
  RegisterDataset({"emomusic", "1000 Songs (MediaEval 2013): 744 clips, valence/arousal [1, 9]", MakeEmoMusicLoader});
  RegisterSynthLayout("emomusic", {WriteEmoMusic, true, false});
}
}  // namespace emomusic

}  // namespace mer::data
