// CAL500 (Turnbull et al. 2007): 502 songs x 174 tags from the release archive CAL500_noAudioFeatures/.
//   vocab.txt        174 tag names; lines 1-36 are 18 emotions each followed by its NOT- twin
//   songNames.txt    502 "artist-title" names, the row order of the annotation matrices
//   hardAnnotations.txt / softAnnotations.txt   502 x 174 comma-separated, no header (binary / 0..1)
//   audio            CAL500_32kps/<song>.mp3 (folder configurable)
#include <set>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "cal500_vocabulary.h"
#include "synth_layout.h"
#include "mer/core/error.h"
#include "mer/core/file_io.h"

namespace mer::data {
namespace {

std::vector<std::string> ReadLines(const fs::path& path) {
  const std::string text = ReadFile(path);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = Trim(std::string_view(text).substr(start, end - start));
    if (!line.empty()) lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

class Cal500Loader : public DeclaredLoader<Cal500Loader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<Cal500Loader>& f) {
    using L = Cal500Loader;
    f.Text("annotations_dir", &L::annotations_dir_, "a folder under root",
           "holds vocab.txt, songNames.txt and the hard/soft annotation matrices");
    f.Text("audio_dir", &L::audio_dir_, "a folder under root", "the songs' audio (ARTIST-TITLE.mp3)");
    f.Choice("labels", &L::labels_, {"hard", "soft"}, "hard (0/1 majority) or soft (the mean of the annotators) labels");
    f.Choice("tags", &L::tags_, {"emotions", "emotion_pairs", "all"},
             "the 18 emotion tags, the 36 emotion tags with their negations, or all 174 tags");
  }

  Corpus Load(const fs::path& root) const override {
    const fs::path dir = UnderRoot(root, annotations_dir_);
    const fs::path vocab_path = dir / "vocab.txt", names_path = dir / "songNames.txt",
                   matrix_path = dir / (labels_ == "hard" ? "hardAnnotations.txt" : "softAnnotations.txt");
    RequireFile(vocab_path, "CAL500 vocab.txt (174 tag names)");
    RequireFile(names_path, "CAL500 songNames.txt");
    RequireFile(matrix_path, "CAL500 " + labels_ + " annotation matrix");
    const std::vector<std::string> vocab = ReadLines(vocab_path);
    const std::vector<std::string> songs = ReadLines(names_path);
    CsvOptions no_header;
    no_header.has_header = false;
    const CsvTable matrix = ReadCsv(matrix_path, no_header);
    if (matrix.rows.size() != songs.size()) {
      throw InputError(matrix_path.string() + ": " + std::to_string(matrix.rows.size()) + " rows but " +
                       names_path.string() + " names " + std::to_string(songs.size()) + " songs");
    }
    // Which vocabulary entries become labels.
    std::vector<std::size_t> columns;
    for (std::size_t t = 0; t < vocab.size(); ++t) {
      const bool emotion_block = t < 36 && vocab[t].find("Emotion-") != std::string::npos;
      if (tags_ == "all" || (tags_ == "emotion_pairs" && emotion_block) ||
          (tags_ == "emotions" && emotion_block && vocab[t].rfind("NOT-", 0) != 0)) {
        columns.push_back(t);
      }
    }
    Corpus corpus;
    corpus.dataset = "cal500";
    corpus.root = root;
    corpus.schema.task = Task::kTagging;
    corpus.schema.scale_min = 0.0;
    corpus.schema.scale_max = 1.0;
    corpus.schema.midpoint = 0.5;
    for (std::size_t c : columns) corpus.schema.names.push_back(vocab[c]);
    const fs::path audio_dir = UnderRoot(root, audio_dir_);
    for (std::size_t s = 0; s < songs.size(); ++s) {
      const CsvRow& row = matrix.rows[s];
      if (row.fields.size() != vocab.size()) {
        throw InputError(matrix.Where(row) + ": expected " + std::to_string(vocab.size()) + " values (one per tag of " +
                         vocab_path.filename().string() + "), found " + std::to_string(row.fields.size()));
      }
      CheckSafeId(songs[s], names_path.string() + ":" + std::to_string(s + 1));
      Item item;
      item.id = songs[s];
      item.audio = audio_dir / (songs[s] + ".mp3");
      item.artist = Cal500Artist(songs[s]);
      item.title = songs[s].substr(std::min(songs[s].size(), item.artist.size() + 1));
      item.group = item.artist;
      for (std::size_t c : columns) {
        const double v = matrix.Number(row, c);
        if (v < 0.0 || v > 1.0 || (labels_ == "hard" && v != 0.0 && v != 1.0)) {
          throw InputError(matrix.Where(row) + ": tag '" + vocab[c] + "' value " + matrix.rows[s].fields[c] +
                           " outside " + (labels_ == "hard" ? "{0, 1}" : "[0, 1]"));
        }
        item.labels.push_back(static_cast<float>(v));
      }
      corpus.items.push_back(std::move(item));
    }
    std::set<std::string> unique(songs.begin(), songs.end());
    if (unique.size() != songs.size()) corpus.warnings.push_back(names_path.string() + ": duplicate song names");
    return corpus;
  }

 private:
  std::string annotations_dir_ = "CAL500_noAudioFeatures";
  std::string audio_dir_ = "CAL500_32kps";
  std::string labels_ = "hard";
  std::string tags_ = "emotions";
};

}  // namespace

std::unique_ptr<DatasetLoader> MakeCal500Loader() { return std::make_unique<Cal500Loader>(); }

namespace {

// mer data synth --dataset cal500: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace cal500 {
void Register() {
  RegisterDataset({"cal500", "CAL500: 502 songs x 174 tags (18 emotions), hard or soft", MakeCal500Loader});
  RegisterSynthLayout("cal500", {WriteCal500, false, true});
}
}  // namespace cal500

}  // namespace mer::data
