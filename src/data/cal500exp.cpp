// CAL500exp (Wang et al. 2014): time-stamped segment labels for the CAL500 songs.
//   SegLabelHard/<song>.csv   CRLF, header Start_Time,End_Time + 67 tag names, values %.6f (0/1); rows are NOT
//                             sorted by time in most files. 3,223 segments in 500 files (two CAL500 songs have none).
//   audio                     the CAL500 song, CAL500_32kps/<song>.mp3 (folder configurable)
// Items are the segments, sorted by start time within each song, with id "<song>#<n>" (n from 1).
#include <algorithm>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "cal500_vocabulary.h"
#include "synth_layout.h"
#include "mer/core/error.h"

namespace mer::data {
namespace {

class Cal500ExpLoader : public DeclaredLoader<Cal500ExpLoader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<Cal500ExpLoader>& f) {
    using L = Cal500ExpLoader;
    f.Text("labels_dir", &L::labels_dir_, "a folder under root", "one SONG.csv of time-stamped segment labels per song");
    f.Text("audio_dir", &L::audio_dir_, "a folder under root", "the CAL500 songs' audio");
  }

  Corpus Load(const fs::path& root) const override {
    const fs::path dir = UnderRoot(root, labels_dir_);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw InputError(dir.string() + ": not found (expected the CAL500exp SegLabelHard folder)");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".csv") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw InputError(dir.string() + ": no <song>.csv files");
    Corpus corpus;
    corpus.dataset = "cal500exp";
    corpus.root = root;
    corpus.schema.task = Task::kTagging;
    const fs::path audio_dir = UnderRoot(root, audio_dir_);
    std::size_t unsorted_files = 0;
    for (const fs::path& file : files) {
      const CsvTable table = ReadCsv(file);
      const std::size_t start = table.Column("Start_Time"), end = table.Column("End_Time");
      std::vector<std::string> tags;
      std::vector<std::size_t> tag_columns;
      for (std::size_t c = 0; c < table.header.size(); ++c) {
        if (c == start || c == end) continue;
        tags.push_back(table.header[c]);
        tag_columns.push_back(c);
      }
      if (corpus.schema.names.empty()) {
        corpus.schema.names = tags;
      } else if (tags != corpus.schema.names) {
        throw InputError(file.string() + ": tag columns differ from " + files.front().string());
      }
      const std::string song = file.stem().string();
      CheckSafeId(song, file.string());
      std::vector<Item> segments;
      for (const auto& row : table.rows) {
        table.RequireHeaderWidth(row);
        Item item;
        item.audio = audio_dir / (song + ".mp3");
        item.artist = Cal500Artist(song);
        item.title = song.substr(std::min(song.size(), item.artist.size() + 1));
        item.group = item.artist;
        item.start_seconds = table.Number(row, start);
        item.end_seconds = table.Number(row, end);
        if (!(item.end_seconds > item.start_seconds)) {
          throw InputError(table.Where(row) + ": segment ends (" + table.Field(row, end) + ") before it starts (" +
                           table.Field(row, start) + ")");
        }
        for (std::size_t c : tag_columns) item.labels.push_back(static_cast<float>(table.Number(row, c)));
        segments.push_back(std::move(item));
      }
      if (!std::is_sorted(segments.begin(), segments.end(),
                          [](const Item& a, const Item& b) { return a.start_seconds < b.start_seconds; })) {
        ++unsorted_files;
      }
      std::stable_sort(segments.begin(), segments.end(),
                       [](const Item& a, const Item& b) { return a.start_seconds < b.start_seconds; });
      for (std::size_t k = 0; k < segments.size(); ++k) {
        segments[k].id = song + "#" + std::to_string(k + 1);
        corpus.items.push_back(std::move(segments[k]));
      }
    }
    if (unsorted_files > 0) {
      corpus.warnings.push_back(std::to_string(unsorted_files) + " of " + std::to_string(files.size()) +
                                " files list segments out of time order (sorted on load)");
    }
    return corpus;
  }

 private:
  std::string labels_dir_ = "SegLabelHard";
  std::string audio_dir_ = "CAL500_32kps";
};

}  // namespace

std::unique_ptr<DatasetLoader> MakeCal500ExpLoader() { return std::make_unique<Cal500ExpLoader>(); }

namespace {

// mer data synth --dataset cal500exp: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace cal500exp {
void Register() {
  RegisterDataset({"cal500exp", "CAL500exp: 3,223 time-stamped segments x 67 tags", MakeCal500ExpLoader});
  RegisterSynthLayout("cal500exp", {WriteCal500Exp, false, true});
}
}  // namespace cal500exp

}  // namespace mer::data
