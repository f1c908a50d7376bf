// The 4Q audio emotion dataset (Panda, Malheiro & Paiva, "Novel Audio Features for Music Emotion Recognition",
// IEEE Trans. Affective Computing 2018): 900 AllMusic clips of ~30 s, 225 per Russell quadrant.
//   panda_dataset_taffc_annotations.csv   Song,Quadrant (LF, 900 rows)
//   panda_dataset_taffc_metadata.csv      every field quoted, CRLF: Song,Artist,Title,Quadrant,...,MoodsStrSplit,...
//   Q1/ .. Q4/<Song>.<ext>                the clips (released as .mp3; any extension mer decodes is found)
// `labels: "quadrant"` (default) gives the task `classes` with the classes named as in the CSV (Q1..Q4);
// `labels: "moods"` gives multi-label tags from the AllMusic moods (MoodsStrSplit) shared by at least
// `min_mood_songs` songs. Artists come from the metadata (artist-disjoint splits).
#include <algorithm>
#include <map>
#include <set>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "synth_layout.h"
#include "mer/audio/decoder.h"
#include "mer/core/error.h"

namespace mer::data {
namespace {

class FourQLoader : public DeclaredLoader<FourQLoader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<FourQLoader>& f) {
    using L = FourQLoader;
    f.Choice("labels", &L::labels_, {"quadrant", "moods"},
             "quadrant = classes Q1..Q4 as the annotations CSV names them; moods = the metadata's AllMusic moods as tags");
    f.Add<int>("min_mood_songs", &L::min_mood_songs_, [](const int& v) { return v >= 1; }, "an integer >= 1",
               "labels moods: moods on fewer songs are dropped");
  }

  Corpus Load(const fs::path& root) const override {
    Corpus corpus;
    corpus.dataset = "fourq";
    corpus.root = root;
    const fs::path annotations_path = root / "panda_dataset_taffc_annotations.csv";
    const fs::path metadata_path = root / "panda_dataset_taffc_metadata.csv";
    RequireFile(annotations_path, "the 4Q annotations (Song,Quadrant)");
    const CsvTable annotations = ReadCsv(annotations_path);
    annotations.RequireRows();
    const std::size_t song_column = annotations.Column("Song"), quadrant_column = annotations.Column("Quadrant");
    const std::map<std::string, Meta> metadata = ReadMetadata(metadata_path, &corpus);

    std::set<std::string> seen;
    std::vector<std::string> quadrants;  // per item, as written in the CSV
    for (const auto& row : annotations.rows) {
      annotations.RequireHeaderWidth(row);
      Item item;
      item.id = annotations.Field(row, song_column);
      CheckSafeId(item.id, annotations.Where(row));
      if (!seen.insert(item.id).second) {
        throw InputError(annotations.Where(row) + ": song '" + item.id + "' appears twice");
      }
      const std::string quadrant = annotations.Field(row, quadrant_column);
      if (quadrant.empty()) {
        ++corpus.skipped_unlabeled;
        continue;
      }
      CheckSafeId(quadrant, annotations.Where(row) + ": column 'Quadrant'");
      if (const auto it = metadata.find(item.id); it != metadata.end()) {
        item.artist = it->second.artist;
        item.title = it->second.title;
      }
      item.group = item.artist.empty() ? "" : "artist:" + item.artist;
      item.audio = FindAudio(root, quadrant, item.id, &corpus);
      quadrants.push_back(quadrant);
      corpus.items.push_back(std::move(item));
    }
    if (labels_ == "quadrant") {
      LabelQuadrants(quadrants, &corpus);
    } else {
      LabelMoods(metadata, metadata_path, &corpus);
    }
    corpus.schema.scale_min = 0.0;
    corpus.schema.scale_max = 1.0;
    corpus.schema.midpoint = 0.5;
    return corpus;
  }

 private:
  struct Meta {
    std::string artist, title;
    std::vector<std::string> moods;
  };

  // Artist, title and moods by song (optional for the quadrant labels, required for moods).
  std::map<std::string, Meta> ReadMetadata(const fs::path& path, Corpus* corpus) const {
    std::map<std::string, Meta> metadata;
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      const CsvTable m = ReadCsv(path);
      const std::size_t song = m.Column("Song"), artist = m.Column("Artist"), title = m.Column("Title"),
                        moods = m.ColumnOneOf({"MoodsStrSplit", "MoodsStr"});
      for (const auto& row : m.rows) {
        m.RequireHeaderWidth(row);
        Meta meta{m.Field(row, artist), m.Field(row, title), SplitTrimmed(m.Field(row, moods), ';')};
        if (!metadata.emplace(m.Field(row, song), std::move(meta)).second) {
          throw InputError(m.Where(row) + ": song '" + m.Field(row, song) + "' appears twice");
        }
      }
    } else if (labels_ == "moods") {
      RequireFile(path, "the 4Q metadata with the AllMusic moods (data.labels = \"moods\")");
    } else {
      corpus->warnings.push_back(path.string() + " not found: no artists, so splits are not artist-disjoint");
    }
    return metadata;
  }

  // Classes: the names as the CSV writes them, sorted (Q1..Q4 in the release).
  static void LabelQuadrants(const std::vector<std::string>& quadrants, Corpus* corpus) {
    std::set<std::string> names(quadrants.begin(), quadrants.end());
    corpus->schema.task = Task::kClasses;
    corpus->schema.names.assign(names.begin(), names.end());
    for (std::size_t i = 0; i < corpus->items.size(); ++i) {
      const auto at = std::find(corpus->schema.names.begin(), corpus->schema.names.end(), quadrants[i]);
      corpus->items[i].labels.assign(corpus->schema.names.size(), 0.0f);
      corpus->items[i].labels[static_cast<std::size_t>(at - corpus->schema.names.begin())] = 1.0f;
    }
  }

  // Tags: the AllMusic moods shared by at least min_mood_songs of the items.
  void LabelMoods(const std::map<std::string, Meta>& metadata, const fs::path& metadata_path, Corpus* corpus) const {
    std::map<std::string, int> counts;
    for (const auto& item : corpus->items) {
      const auto it = metadata.find(item.id);
      if (it == metadata.end()) continue;
      for (const auto& mood : std::set<std::string>(it->second.moods.begin(), it->second.moods.end())) ++counts[mood];
    }
    corpus->schema.task = Task::kTagging;
    for (const auto& [mood, count] : counts) {
      if (count >= min_mood_songs_) corpus->schema.names.push_back(mood);
    }
    if (corpus->schema.names.empty()) {
      throw InputError(metadata_path.string() + ": no mood is shared by " + std::to_string(min_mood_songs_) +
                       " songs (data.min_mood_songs)");
    }
    const std::vector<std::string>& names = corpus->schema.names;
    for (auto& item : corpus->items) {
      item.labels.assign(names.size(), 0.0f);
      const auto it = metadata.find(item.id);
      if (it == metadata.end()) continue;
      for (const auto& mood : it->second.moods) {
        const auto at = std::find(names.begin(), names.end(), mood);
        if (at != names.end()) item.labels[static_cast<std::size_t>(at - names.begin())] = 1.0f;
      }
    }
  }

  // The clip under its quadrant folder with any decodable extension; under another quadrant folder it is used
  // with a warning naming both; otherwise the released path (counted as missing audio).
  static fs::path FindAudio(const fs::path& root, const std::string& quadrant, const std::string& id, Corpus* corpus) {
    std::error_code ec;
    const auto in_folder = [&](const std::string& folder) -> fs::path {
      for (const std::string& ext : audio::AudioFileExtensions()) {
        const fs::path p = root / folder / (id + ext);
        if (fs::is_regular_file(p, ec)) return p;
      }
      return {};
    };
    if (fs::path p = in_folder(quadrant); !p.empty()) return p;
    for (const char* other : {"Q1", "Q2", "Q3", "Q4"}) {
      if (other == quadrant) continue;
      if (fs::path p = in_folder(other); !p.empty()) {
        corpus->warnings.push_back("song " + id + ": the annotations CSV says " + quadrant + " but its audio is in " +
                                   (fs::path(other) / p.filename()).string() + " (the CSV label is used)");
        return p;
      }
    }
    return root / quadrant / (id + ".mp3");
  }

  std::string labels_ = "quadrant";
  int min_mood_songs_ = 20;
};

}  // namespace

std::unique_ptr<DatasetLoader> MakeFourQLoader() { return std::make_unique<FourQLoader>(); }

namespace {

// mer data synth --dataset fourq: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace fourq {
void Register() {
  RegisterDataset({"fourq", "4Q (Panda et al. 2018): 900 AllMusic clips, classes Q1..Q4 (or AllMusic mood tags)", MakeFourQLoader});
  RegisterSynthLayout("fourq", {WriteFourQ, false, false});
}
}  // namespace fourq

}  // namespace mer::data
