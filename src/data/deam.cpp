// DEAM (Aljanaki et al. 2017): 1,802 songs; static valence/arousal on 1-9 for the 45 s excerpts (ids 2-2000) and the
// full-length songs (2001-2058), dynamic 2 Hz curves in [-1, 1] from 15 s.
//   official layout: annotations/annotations averaged per song/song_level/static_annotations_averaged_songs_1_2000.csv
//                    (CRLF, "song_id, valence_mean, valence_std, arousal_mean, arousal_std": spaces in the header)
//                    ..._2000_2058.csv (13 columns, arousal_mean is column 8, typo "valence_ max_mean")
//                    annotations/annotations averaged per song/dynamic (per second annotations)/{arousal,valence}.csv
//                    MEMD_audio/<id>.mp3, metadata/metadata_2013|2014|2015.csv
//   nested layout:   DEAM_Annotations/annotations/..., DEAM_audio/MEMD_audio/<id>.mp3
// Valence/arousal columns: for the 744 MediaEval 2013 songs (ids 2-1000) DEAM's `valence_mean` equals 1000 Songs'
// `mean_arousal` (r = 0.9998) and vice versa. 1000 Songs is the consistent one: its per-frame arousal agrees with
// its `mean_arousal` (r = 0.956 vs 0.570) and its genre means in that column put Classical lowest (3.88) and Rock
// highest (5.51), as does DEAM's own `arousal_mean` for the 2014-2015 songs (Classical 3.34, Rock 5.45). So the
// default `va_columns: "fix_2013"` swaps the two columns for ids <= 1000; "as_named" reads them literally.
#include <map>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "synth_layout.h"
#include "mer/core/error.h"
#include "va_cross_check.h"

namespace mer::data {
namespace {

const char* kSongLevel = "annotations averaged per song/song_level";
const char* kDynamic = "annotations averaged per song/dynamic (per second annotations)";

class DeamLoader : public DeclaredLoader<DeamLoader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<DeamLoader>& f) {
    using L = DeamLoader;
    f.Choice("layout", &L::layout_, {"auto", "official", "nested"},
             "official = annotations/ and MEMD_audio/ under root; nested = inside DEAM_Annotations/ and DEAM_audio/");
    f.Choice("va_columns", &L::va_columns_, {"fix_2013", "as_named"},
             "fix_2013 swaps valence and arousal of the 2013 rows (ids <= 1000), named the wrong way round");
    f.Add<bool>("full_songs", &L::full_songs_, [](const bool&) { return true; }, "true or false",
                "also the 58 full songs of 2015 (ids 2001-2058)");
    f.Text("cross_check_root", &L::cross_check_root_, "a 1000 Songs folder or \"\"",
           "warn where 1000 Songs there disagrees on the shared songs");
    f.Add<bool>("emer_cl_valence_from_arousal", &L::emer_cl_bug_, [](const bool&) { return true; }, "true or false",
                "reproduce a bug of EMER-CL's src/data/DEAM/create_va.py (line 68): every curve not 60 values long is "
                "cut to 60 and its valence replaced by its arousal; only to compare with the authors' numbers")
        .OnlyWhenSet();
  }

  Corpus Load(const fs::path& root) const override {
    std::string layout = layout_;
    std::error_code ec;
    if (layout == "auto") layout = fs::exists(root / "DEAM_Annotations", ec) ? "nested" : "official";
    const fs::path annotations = layout == "nested" ? root / "DEAM_Annotations" / "annotations" : root / "annotations";
    const fs::path audio_dir = layout == "nested" ? root / "DEAM_audio" / "MEMD_audio" : root / "MEMD_audio";
    const fs::path excerpts = annotations / kSongLevel / "static_annotations_averaged_songs_1_2000.csv";
    const fs::path full = annotations / kSongLevel / "static_annotations_averaged_songs_2000_2058.csv";
    RequireFile(excerpts, "DEAM static annotations of songs 1-2000 (" + layout + " layout)");

    Corpus corpus;
    corpus.dataset = "deam";
    corpus.root = root;
    corpus.schema = VaSchema(1.0, 9.0);
    const std::map<std::string, std::string> artists = ReadArtists(root, layout);
    std::size_t swapped = 0;
    const auto read_static = [&](const fs::path& path) {
      const CsvTable t = ReadCsv(path);
      // One of the two tables may be empty (a user's subset); both empty is refused by the corpus check.
      if (t.rows.empty()) corpus.warnings.push_back(path.string() + ": header only, no data rows");
      const std::size_t id = t.Column("song_id"), valence = t.Column("valence_mean"), arousal = t.Column("arousal_mean");
      for (const auto& row : t.rows) {
        t.RequireHeaderWidth(row);
        Item item;
        item.id = t.Field(row, id);
        CheckSafeId(item.id, t.Where(row));
        double v = t.Number(row, valence), a = t.Number(row, arousal);
        if (v < 1 || v > 9 || a < 1 || a > 9) throw InputError(t.Where(row) + ": valence/arousal outside [1, 9]");
        const long numeric_id = std::strtol(item.id.c_str(), nullptr, 10);
        if (va_columns_ == "fix_2013" && numeric_id >= 1 && numeric_id <= 1000) {
          std::swap(v, a);
          ++swapped;
        }
        item.labels = {static_cast<float>(v), static_cast<float>(a)};
        item.audio = audio_dir / (item.id + ".mp3");
        const auto artist = artists.find(item.id);
        if (artist != artists.end()) item.artist = artist->second;
        item.group = item.artist.empty() ? "id:" + item.id : "artist:" + item.artist;
        corpus.items.push_back(std::move(item));
      }
    };
    read_static(excerpts);
    if (full_songs_) {
      RequireFile(full, "DEAM static annotations of songs 2001-2058 (or set data.full_songs to false)");
      read_static(full);
    }
    if (swapped > 0) {
      corpus.warnings.push_back("valence/arousal columns swapped for " + std::to_string(swapped) +
                                " MediaEval 2013 songs (ids <= 1000), see data.va_columns");
    }
    const fs::path dynamic = annotations / kDynamic;
    AttachCurvesAndCheck(&corpus, dynamic / "arousal.csv", dynamic / "valence.csv");
    if (emer_cl_bug_) {
      // `if len(a_data) != 60: a_data = a_data[:60]; v_data = a_data[:60]` (the authors meant v_data[:60]).
      std::size_t replaced = 0;
      for (Item& item : corpus.items) {
        if (!item.dynamic || item.dynamic->arousal.size() == 60) continue;
        Curve& c = *item.dynamic;
        if (c.arousal.size() > 60) c.arousal.resize(60);
        c.valence = c.arousal;
        ++replaced;
      }
      corpus.warnings.push_back("data.emer_cl_valence_from_arousal: the valence curves of " + std::to_string(replaced) +
                                " songs replaced by their arousal curves, as EMER-CL's create_va.py does");
    }
    if (!cross_check_root_.empty()) {
      RecordCrossCheck(&corpus, MakeEmoMusicLoader()->Load(cross_check_root_), "1000 Songs", cross_check_root_);
    }
    return corpus;
  }

 private:
  // Artist per id from the metadata files that exist (2013: "song_id,...,Artist", 2014: "Id,artist,...",
  // 2015: "id,title,artist,...").
  static std::map<std::string, std::string> ReadArtists(const fs::path& root, const std::string& layout) {
    std::map<std::string, std::string> artists;
    const fs::path dir = layout == "nested" ? root / "DEAM_Annotations" / "metadata" : root / "metadata";
    std::error_code ec;
    for (const char* name : {"metadata_2013.csv", "metadata_2014.csv", "metadata_2015.csv"}) {
      if (!fs::is_regular_file(dir / name, ec)) continue;
      const CsvTable t = ReadCsv(dir / name);
      const std::size_t id = t.ColumnOneOf({"song_id", "Id", "id"}), artist = t.ColumnOneOf({"Artist", "artist"});
      for (const auto& row : t.rows) {
        if (row.fields.size() > std::max(id, artist)) artists[row.fields[id]] = row.fields[artist];
      }
    }
    return artists;
  }

  std::string layout_ = "auto";
  std::string va_columns_ = "fix_2013";
  bool full_songs_ = true;
  std::string cross_check_root_;
  bool emer_cl_bug_ = false;
};

}  // namespace

std::unique_ptr<DatasetLoader> MakeDeamLoader() { return std::make_unique<DeamLoader>(); }

namespace {

// mer data synth --dataset deam: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace deam {
void Register() {
  RegisterDataset({"deam", "DEAM: 1,802 songs, static + dynamic valence/arousal [1, 9]", MakeDeamLoader});
  RegisterSynthLayout("deam", {WriteDeam, true, false});
}
}  // namespace deam

}  // namespace mer::data
