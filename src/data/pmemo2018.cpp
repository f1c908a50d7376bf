// PMEmo 2018 release: capitalised folders and separate arousal/valence files.
//   metadata.csv     song_id,file_name,artist,song_title — commas inside titles are NOT quoted: the title is every
//                    field after the third, joined back with commas
//   A_static.csv     musicId,mean_A,std_A (767 rows, unsorted);  V_static.csv  musicId,mean_V,std_V
//   chorus.csv       id,start_time,end_time (mm:ss)
//   Chorus/<file_name>                    the chorus clips
//   Annotations/Arousal/<id>-A.csv, Annotations/Valence/<id>-V.csv   per-song dynamic ratings (optional): rows of a
//                    time in seconds followed by one column per annotator (averaged); a header line is skipped.
//                    (The layout of these files could not be checked against a real copy.)
#include <algorithm>
#include <cctype>
#include <map>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "synth_layout.h"
#include "mer/core/error.h"

namespace mer::data {
namespace {

std::map<std::string, float> ReadStatic(const fs::path& path, const std::string& column) {
  RequireFile(path, "PMEmo 2018 " + path.filename().string());
  const CsvTable t = ReadCsv(path);
  const std::size_t id = t.Column("musicId"), mean = t.Column(column);
  std::map<std::string, float> values;
  for (const auto& row : t.rows) {
    const double v = t.Number(row, mean);
    if (v < 0 || v > 1) throw InputError(t.Where(row) + ": " + column + " " + t.Field(row, mean) + " outside [0, 1]");
    CheckSafeId(t.Field(row, id), t.Where(row));
    values[t.Field(row, id)] = static_cast<float>(v);
  }
  return values;
}

// Mean over annotators per time step; returns false when the file is absent.
bool ReadPerSongCurve(const fs::path& path, std::vector<double>* times, std::vector<float>* values) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  CsvOptions options;
  options.has_header = false;
  const CsvTable t = ReadCsv(path, options);
  for (const auto& row : t.rows) {
    if (row.fields.empty() || !(std::isdigit(static_cast<unsigned char>(row.fields[0][0])))) continue;  // header
    t.RequireFields(row, 2);
    times->push_back(t.Number(row, 0));
    double sum = 0;
    std::size_t n = 0;
    for (std::size_t c = 1; c < row.fields.size(); ++c) {
      if (row.fields[c].empty()) continue;
      sum += t.Number(row, c);
      ++n;
    }
    values->push_back(n ? static_cast<float>(sum / n) : 0.0f);
  }
  return times->size() >= 2;
}

class Pmemo2018Loader : public DeclaredLoader<Pmemo2018Loader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<Pmemo2018Loader>& f) {
    using L = Pmemo2018Loader;
    f.Text("audio_dir", &L::audio_dir_, "a folder under root", "the chorus clips");
  }

  Corpus Load(const fs::path& root) const override {
    const fs::path metadata_path = root / "metadata.csv";
    RequireFile(metadata_path, "PMEmo 2018 metadata.csv");
    const auto arousal = ReadStatic(root / "A_static.csv", "mean_A");
    const auto valence = ReadStatic(root / "V_static.csv", "mean_V");
    Corpus corpus;
    corpus.dataset = "pmemo2018";
    corpus.root = root;
    corpus.schema = VaSchema(0.0, 1.0);
    const fs::path audio_dir = UnderRoot(root, audio_dir_);
    std::map<std::string, std::pair<double, double>> chorus;
    std::error_code ec;
    if (fs::is_regular_file(root / "chorus.csv", ec)) {
      const CsvTable c = ReadCsv(root / "chorus.csv");
      const std::size_t id = c.Column("id"), start = c.Column("start_time"), end = c.Column("end_time");
      for (const auto& row : c.rows) {
        chorus[c.Field(row, id)] = {MinutesSecondsToSeconds(c.Field(row, start), c.Where(row)),
                                    MinutesSecondsToSeconds(c.Field(row, end), c.Where(row))};
      }
    }
    const CsvTable t = ReadCsv(metadata_path);
    const std::size_t id = t.Column("song_id"), file = t.Column("file_name"), artist = t.Column("artist"),
                      title = t.Column("song_title");
    if (title != t.header.size() - 1) throw InputError(metadata_path.string() + ": song_title must be the last column");
    std::size_t joined_titles = 0;
    for (const auto& row : t.rows) {
      t.RequireFields(row, t.header.size());
      Item item;
      item.id = t.Field(row, id);
      CheckSafeId(item.id, t.Where(row));
      CheckSafeId(t.Field(row, file), t.Where(row));
      item.artist = t.Field(row, artist);
      item.title = row.fields[title];
      for (std::size_t c = title + 1; c < row.fields.size(); ++c) item.title += "," + row.fields[c];
      if (row.fields.size() > t.header.size()) ++joined_titles;
      item.audio = audio_dir / t.Field(row, file);
      std::string group = item.artist;
      std::transform(group.begin(), group.end(), group.begin(), [](unsigned char c) { return std::tolower(c); });
      item.group = group;
      const auto a = arousal.find(item.id), v = valence.find(item.id);
      if (a == arousal.end() || v == valence.end()) {
        ++corpus.skipped_unlabeled;
        continue;
      }
      item.labels = {v->second, a->second};
      if (const auto c = chorus.find(item.id); c != chorus.end()) {
        item.chorus_start_seconds = c->second.first;
        item.chorus_end_seconds = c->second.second;
      }
      std::vector<double> ta, tv;
      Curve curve;
      if (ReadPerSongCurve(root / "Annotations" / "Arousal" / (item.id + "-A.csv"), &ta, &curve.arousal) &&
          ReadPerSongCurve(root / "Annotations" / "Valence" / (item.id + "-V.csv"), &tv, &curve.valence)) {
        const std::size_t n = std::min(curve.arousal.size(), curve.valence.size());
        curve.arousal.resize(n);
        curve.valence.resize(n);
        curve.start_seconds = ta[0];
        curve.hop_seconds = ta[1] - ta[0];
        item.dynamic = std::move(curve);
      }
      corpus.items.push_back(std::move(item));
    }
    if (joined_titles > 0) {
      corpus.warnings.push_back(std::to_string(joined_titles) + " titles in " + metadata_path.filename().string() +
                                " contain unquoted commas (joined back)");
    }
    return corpus;
  }

 private:
  std::string audio_dir_ = "Chorus";
};

}  // namespace

std::unique_ptr<DatasetLoader> MakePmemo2018Loader() { return std::make_unique<Pmemo2018Loader>(); }

namespace {

// mer data synth --dataset pmemo2018: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace pmemo2018 {
void Register() {
  RegisterDataset({"pmemo2018", "PMEmo 2018 release layout", MakePmemo2018Loader});
  RegisterSynthLayout("pmemo2018", {WritePmemo2018, true, false});
}
}  // namespace pmemo2018

}  // namespace mer::data
