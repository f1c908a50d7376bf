// PMEmo 2019 (Zhang et al. 2018): 794 chorus clips, 767 with static and dynamic valence/arousal in [0, 1].
//   metadata.csv                       musicId,fileName,title,artist,album,duration,chorus_start_time,chorus_end_time
//   annotations/static_annotations.csv musicId,Arousal(mean),Valence(mean)
//   annotations/dynamic_annotations.csv musicId,frameTime,Arousal(mean),Valence(mean)  (from 15.5 s, 0.5 s steps)
//   chorus/<fileName>                  44.1 kHz joint-stereo MP3 with ID3v2.4 tags
// Clips without labels (27 short ones) are skipped with a count. Duplicate songs under different ids (996/997,
// 90/92) keep their ids and share a split group.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "synth_layout.h"
#include "mer/core/error.h"

namespace mer::data {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class PmemoLoader : public DeclaredLoader<PmemoLoader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<PmemoLoader>& f) {
    using L = PmemoLoader;
    f.Text("audio_dir", &L::audio_dir_, "a folder under root", "the chorus clips (MUSICID.mp3)");
    f.Text("annotations_dir", &L::annotations_dir_, "a folder under root",
           "holds static_annotations.csv and dynamic_annotations.csv");
  }

  Corpus Load(const fs::path& root) const override {
    const fs::path metadata_path = root / "metadata.csv";
    const fs::path static_path = UnderRoot(root, annotations_dir_) / "static_annotations.csv";
    const fs::path dynamic_path = UnderRoot(root, annotations_dir_) / "dynamic_annotations.csv";
    RequireFile(metadata_path, "PMEmo metadata.csv");
    RequireFile(static_path, "PMEmo static_annotations.csv");
    Corpus corpus;
    corpus.dataset = "pmemo";
    corpus.root = root;
    corpus.schema = VaSchema(0.0, 1.0);
    const Metadata metadata = ReadMetadata(metadata_path, &corpus);
    const fs::path audio_dir = UnderRoot(root, audio_dir_);
    const CsvTable t = ReadCsv(static_path);
    t.RequireRows();
    const std::size_t id = t.Column("musicId"), arousal = t.Column("Arousal(mean)"), valence = t.Column("Valence(mean)");
    std::set<std::string> labelled;
    for (const auto& row : t.rows) {
      Item item;
      item.id = t.Field(row, id);
      CheckSafeId(item.id, t.Where(row));
      const double v = t.Number(row, valence), a = t.Number(row, arousal);
      if (v < 0 || v > 1 || a < 0 || a > 1) throw InputError(t.Where(row) + ": valence/arousal outside [0, 1]");
      item.labels = {static_cast<float>(v), static_cast<float>(a)};
      const auto meta = metadata.by_id.find(item.id);
      if (meta != metadata.by_id.end()) {
        item.audio = audio_dir / meta->second.file;
        item.title = meta->second.title;
        item.artist = meta->second.artist;
        item.chorus_start_seconds = meta->second.chorus_start;
        item.chorus_end_seconds = meta->second.chorus_end;
      } else {
        item.audio = audio_dir / (item.id + ".mp3");
      }
      item.group = item.artist.empty() ? "id:" + item.id : Lower(item.artist);
      labelled.insert(item.id);
      corpus.items.push_back(std::move(item));
    }
    for (const auto& music_id : metadata.order) {
      if (!labelled.count(music_id)) ++corpus.skipped_unlabeled;
    }
    WarnAboutRepeatedSongs(&corpus);
    std::error_code ec;
    if (fs::is_regular_file(dynamic_path, ec)) AttachLongCurves(dynamic_path, &corpus);
    return corpus;
  }

 private:
  struct Meta {
    std::string file, title, artist;
    double chorus_start, chorus_end;
  };
  struct Metadata {
    std::map<std::string, Meta> by_id;
    std::vector<std::string> order;  // first appearance
  };

  // metadata.csv: file, title, artist and chorus times by id (a repeated id: the last row, with a warning).
  static Metadata ReadMetadata(const fs::path& path, Corpus* corpus) {
    Metadata m;
    std::size_t repeated = 0;
    const CsvTable t = ReadCsv(path);
    const std::size_t id = t.Column("musicId"), file = t.Column("fileName"), title = t.Column("title"),
                      artist = t.Column("artist"), chorus_start = t.Column("chorus_start_time"),
                      chorus_end = t.Column("chorus_end_time");
    for (const auto& row : t.rows) {
      t.RequireHeaderWidth(row);
      const std::string& music_id = t.Field(row, id);
      CheckSafeId(music_id, t.Where(row));
      CheckSafeId(t.Field(row, file), t.Where(row));
      if (m.by_id.count(music_id)) ++repeated;
      m.by_id[music_id] = Meta{t.Field(row, file), t.Field(row, title), t.Field(row, artist),
                               MinutesSecondsToSeconds(t.Field(row, chorus_start), t.Where(row)),
                               MinutesSecondsToSeconds(t.Field(row, chorus_end), t.Where(row))};
      if (m.by_id.size() > m.order.size()) m.order.push_back(music_id);
    }
    if (repeated > 0) {
      corpus->warnings.push_back(path.string() + ": " + std::to_string(repeated) +
                                 " ids appear more than once (the last row of each is used)");
    }
    return m;
  }

  // Same artist and title under two ids: real duplicates with different labels.
  static void WarnAboutRepeatedSongs(Corpus* corpus) {
    std::map<std::string, std::vector<std::string>> by_song;
    for (const auto& item : corpus->items) {
      if (!item.title.empty()) by_song[Lower(item.artist) + "\x1f" + Lower(item.title)].push_back(item.id);
    }
    std::string examples;
    std::size_t duplicates = 0;
    for (const auto& [song, ids] : by_song) {
      if (ids.size() < 2) continue;
      ++duplicates;
      if (duplicates <= 3) examples += (examples.empty() ? "" : ", ") + ids[0] + "/" + ids[1];
    }
    if (duplicates > 0) {
      corpus->warnings.push_back(std::to_string(duplicates) + " songs appear under two ids with different labels (" +
                                 examples + "); they share a split group");
    }
  }

  static void AttachLongCurves(const fs::path& path, Corpus* corpus) {
    const CsvTable t = ReadCsv(path);
    const std::size_t id = t.Column("musicId"), time = t.Column("frameTime"), arousal = t.Column("Arousal(mean)"),
                      valence = t.Column("Valence(mean)");
    std::map<std::string, std::vector<std::array<double, 3>>> frames;
    for (const auto& row : t.rows) {
      frames[t.Field(row, id)].push_back({t.Number(row, time), t.Number(row, valence), t.Number(row, arousal)});
    }
    for (auto& item : corpus->items) {
      auto it = frames.find(item.id);
      if (it == frames.end() || it->second.size() < 2) continue;
      auto& f = it->second;
      std::sort(f.begin(), f.end());
      Curve curve;
      curve.start_seconds = f[0][0];
      curve.hop_seconds = f[1][0] - f[0][0];
      for (const auto& frame : f) {
        curve.valence.push_back(static_cast<float>(frame[1]));
        curve.arousal.push_back(static_cast<float>(frame[2]));
      }
      item.dynamic = std::move(curve);
    }
  }

  std::string audio_dir_ = "chorus";
  std::string annotations_dir_ = "annotations";
};

}  // namespace

std::unique_ptr<DatasetLoader> MakePmemoLoader() { return std::make_unique<PmemoLoader>(); }

namespace {

// mer data synth --dataset pmemo: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace pmemo {
void Register() {
  RegisterDataset({"pmemo", "PMEmo 2019: 767 chorus clips, static + dynamic valence/arousal [0, 1]", MakePmemoLoader});
  RegisterSynthLayout("pmemo", {WritePmemo, true, false});
}
}  // namespace pmemo

}  // namespace mer::data
