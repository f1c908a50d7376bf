// `csv`: a user's own labelled clips, with no code to write. One CSV (or TSV) row per clip:
//   annotations      the table, relative to root (".tsv"/".tab" or delimiter "\t": TAB-separated)
//   audio_column     the clip's audio path relative to root (no "..", not absolute)
//   id_column        the item id (default: the audio path)
//   labels           "regression" (label_columns numeric, in `scale`), "tags" (label_columns of 0/1, or one
//                    tag_column split at tag_separator), "classes" (one label column of class names; `classes`
//                    fixes their order, default sorted)
//   group_column     optional artist / group: items of a group never straddle two parts
//   split_column     optional train / val / test per row (the dataset's official split)
#include <algorithm>
#include <map>
#include <set>

#include "loader_util.h"
#include "mer/data/registry.h"
#include "synth_layout.h"
#include "mer/core/error.h"

namespace mer::data {
namespace {

// An audio path from a table cell: relative to root, never leaving it.
void CheckRelativePath(const std::string& path, const std::string& where) {
  if (path.empty()) throw InputError(where + ": the audio path is empty");
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos || path.front() == '/') {
    throw InputError(where + ": audio path '" + path + "' must be relative to data.root, with '/' separators");
  }
  for (const auto& part : fs::path(path)) {
    if (part == "..") throw InputError(where + ": audio path '" + path + "' escapes data.root ('..')");
  }
}

class CsvLoader : public DeclaredLoader<CsvLoader> {
 public:
  // Its `data` keys (DeclaredLoader reads, validates, resolves and documents them).
  static void DeclareOptions(config::Fields<CsvLoader>& f) {
    using L = CsvLoader;
    const auto any = [](const auto&) { return true; };
    f.Text("annotations", &L::annotations_, "a file under root (required)", "the table, one row per clip");
    f.Choice("delimiter", &L::delimiter_, {"auto", ",", ";", "\t", "|"}, "auto = TAB for .tsv/.tab, else comma");
    f.Text("audio_column", &L::audio_column_, "a column name (required)",
           "the clip's audio path relative to root (no .., not absolute)");
    f.Text("id_column", &L::id_column_, "a column name or \"\"", "the item id (\"\" = the audio path)");
    f.Choice("labels", &L::labels_, {"regression", "tags", "classes"}, "what the label columns hold");
    f.Add<std::vector<std::string>>("label_columns", &L::label_columns_, any, "a list of column names",
                                    "regression: the numeric columns; tags: 0/1 columns; classes: the one column of "
                                    "class names");
    f.Text("tag_column", &L::tag_column_, "a column name or \"\"", "tags as one delimited column instead of 0/1 columns");
    f.Text("tag_separator", &L::tag_separator_, "one character", "the tag column's separator");
    f.Add<std::vector<std::string>>("classes", &L::classes_, any, "a list of class names (empty = sorted names found)",
                                    "classes: the class names in output order (a row with another class is an error)");
    f.Add<std::vector<double>>("scale", &L::scale_, any, "[min, max] with min < max",
                               "regression: the labels' range (outside it is an error); its middle is the quadrant midpoint");
    f.Text("group_column", &L::group_column_, "a column name or \"\"", "artist or any group: a group never straddles two parts");
    f.Text("split_column", &L::split_column_, "a column name or \"\"",
           "train / val (or validation) / test per row: the dataset's official split");
  }
  // The rules over several keys.
  void CheckOptions() const {
    const auto need = [&](bool ok, const std::string& key, const nlohmann::json& value, const std::string& what) {
      if (!ok) config::ThrowInvalid("data." + key, value, what);
    };
    need(!annotations_.empty(), "annotations", annotations_, "the CSV/TSV file of clips, relative to data.root");
    need(!audio_column_.empty(), "audio_column", audio_column_, "the column holding each clip's audio path");
    need(scale_.size() == 2 && scale_[0] < scale_[1], "scale", scale_, "[min, max] with min < max");
    if (labels_ == "tags") {
      need(label_columns_.empty() != tag_column_.empty(), "label_columns", label_columns_,
           "either label_columns (0/1 columns) or tag_column (one delimited column) for labels = \"tags\"");
      need(tag_separator_.size() == 1, "tag_separator", tag_separator_, "one character");
    } else {
      need(tag_column_.empty(), "tag_column", tag_column_, "only with labels = \"tags\"");
      need(labels_ != "classes" || label_columns_.size() == 1, "label_columns", label_columns_,
           "exactly one column of class names for labels = \"classes\"");
      need(!label_columns_.empty(), "label_columns", label_columns_, "the label columns (a non-empty list)");
    }
    need(classes_.empty() || labels_ == "classes", "classes", classes_, "only with labels = \"classes\"");
    need(std::set<std::string>(classes_.begin(), classes_.end()).size() == classes_.size(), "classes", classes_,
         "class names without repeats");
  }

  std::string OfficialSplitDescription() const override { return split_column_.empty() ? "" : "column " + split_column_; }

  Corpus Load(const fs::path& root) const override {
    const fs::path path = UnderRoot(root, annotations_);
    RequireFile(path, "the clips table (data.annotations)");
    CsvOptions options = CsvOptionsFor(path);
    if (delimiter_ != "auto") options.delimiter = delimiter_[0];
    const CsvTable t = ReadCsv(path, options);
    t.RequireRows();
    const Columns cols = FindColumns(t, path);
    Corpus corpus;
    corpus.dataset = "csv";
    corpus.root = root;
    corpus.schema = Schema(t, cols, path);
    std::set<std::string> seen;
    for (const auto& row : t.rows) {
      t.RequireHeaderWidth(row);
      Item item = Place(t, row, cols, root, &seen);
      if (!ReadLabels(t, row, cols, corpus.schema.names, &item)) {
        ++corpus.skipped_unlabeled;
        continue;
      }
      corpus.items.push_back(std::move(item));
    }
    return corpus;
  }

 private:
  // Column indices; kNoColumn when not declared (plain indices: GCC 12 misreads optionals here as uninitialised).
  static constexpr std::size_t kNoColumn = static_cast<std::size_t>(-1);
  struct Columns {
    std::size_t audio = kNoColumn, id = kNoColumn, tag = kNoColumn, group = kNoColumn, split = kNoColumn;
    std::vector<std::size_t> labels;
  };

  // The declared columns; one the table lacks is a configuration error listing what it has.
  Columns FindColumns(const CsvTable& t, const fs::path& path) const {
    const auto column = [&](const std::string& name, const std::string& key) {
      if (const auto c = t.FindColumn(name)) return *c;
      throw ConfigError("data." + key + ": " + path.string() + " has no column '" + name + "' (its columns: " +
                        Joined(t.header) + ")");
    };
    Columns c;
    c.audio = column(audio_column_, "audio_column");
    c.id = id_column_.empty() ? c.audio : column(id_column_, "id_column");
    for (const auto& name : label_columns_) c.labels.push_back(column(name, "label_columns"));
    if (!tag_column_.empty()) c.tag = column(tag_column_, "tag_column");
    if (!group_column_.empty()) c.group = column(group_column_, "group_column");
    if (!split_column_.empty()) c.split = column(split_column_, "split_column");
    return c;
  }

  std::vector<std::string> TagCell(const CsvTable& t, const CsvRow& row, const Columns& c) const {
    return SplitTrimmed(t.Field(row, c.tag), tag_separator_[0]);
  }

  // The label schema; the tag vocabulary of a delimited column, or the class names, from the whole table (sorted)
  // unless given.
  LabelSchema Schema(const CsvTable& t, const Columns& c, const fs::path& path) const {
    LabelSchema schema;
    schema.scale_min = labels_ == "regression" ? scale_[0] : 0.0;
    schema.scale_max = labels_ == "regression" ? scale_[1] : 1.0;
    schema.midpoint = 0.5 * (schema.scale_min + schema.scale_max);
    schema.task = labels_ == "regression" ? Task::kRegression : labels_ == "tags" ? Task::kTagging : Task::kClasses;
    schema.names = labels_ == "classes" ? classes_ : label_columns_;
    if (c.tag != kNoColumn || (labels_ == "classes" && classes_.empty())) {
      std::set<std::string> names;
      for (const auto& row : t.rows) {
        t.RequireHeaderWidth(row);
        if (c.tag != kNoColumn) {
          for (auto& tag : TagCell(t, row, c)) names.insert(tag);
        } else if (!t.Field(row, c.labels[0]).empty()) {
          names.insert(t.Field(row, c.labels[0]));
        }
      }
      schema.names = std::vector<std::string>(names.begin(), names.end());
    }
    if (schema.names.empty()) throw InputError(path.string() + ": no labels in the table");
    return schema;
  }

  // A row's id, audio, group and official split (its labels: ReadLabels).
  Item Place(const CsvTable& t, const CsvRow& row, const Columns& c, const fs::path& root,
             std::set<std::string>* seen) const {
    const std::string where = t.Where(row);
    Item item;
    item.id = t.Field(row, c.id);
    if (item.id.empty()) throw InputError(where + ": the id is empty");
    if (item.id.find('\0') != std::string::npos) throw InputError(where + ": the id holds a NUL byte");
    if (!seen->insert(item.id).second) throw InputError(where + ": id '" + item.id + "' appears twice");
    const std::string& audio_path = t.Field(row, c.audio);
    CheckRelativePath(audio_path, where);
    item.audio = root / audio_path;
    if (c.group != kNoColumn) item.group = t.Field(row, c.group).empty() ? "" : "group:" + t.Field(row, c.group);
    item.artist = c.group != kNoColumn ? t.Field(row, c.group) : "";
    if (c.split != kNoColumn) {
      std::string part = t.Field(row, c.split);
      if (part == "validation") part = "val";
      if (part != "train" && part != "val" && part != "test") {
        throw InputError(where + ": column '" + split_column_ + "': '" + part + "' is not train, val or test");
      }
      item.official_split = part;
    }
    return item;
  }

  // The row's labels into item->labels; false for an unlabelled clip (empty label cells).
  bool ReadLabels(const CsvTable& t, const CsvRow& row, const Columns& c, const std::vector<std::string>& names,
                  Item* item) const {
    const std::string where = t.Where(row);
    if (labels_ == "regression") {
      for (std::size_t col : c.labels) {
        if (t.Field(row, col).empty()) return false;
      }
      for (std::size_t k = 0; k < c.labels.size(); ++k) {
        const double v = t.Number(row, c.labels[k]);
        if (v < scale_[0] || v > scale_[1]) {
          throw InputError(where + ": column '" + label_columns_[k] + "': " + t.Field(row, c.labels[k]) +
                           " is outside data.scale [" + std::to_string(scale_[0]) + ", " + std::to_string(scale_[1]) + "]");
        }
        item->labels.push_back(static_cast<float>(v));
      }
      return true;
    }
    if (labels_ == "tags" && c.tag == kNoColumn) {
      for (std::size_t k = 0; k < c.labels.size(); ++k) {
        const double v = t.Number(row, c.labels[k]);
        if (v != 0.0 && v != 1.0) {
          throw InputError(where + ": column '" + label_columns_[k] + "': '" + t.Field(row, c.labels[k]) + "' is not 0 or 1");
        }
        item->labels.push_back(static_cast<float>(v));
      }
      return true;
    }
    item->labels.assign(names.size(), 0.0f);
    const std::vector<std::string> present =
        c.tag != kNoColumn ? TagCell(t, row, c) : std::vector<std::string>{t.Field(row, c.labels[0])};
    if (c.tag == kNoColumn && present[0].empty()) return false;
    for (const auto& name : present) {
      const auto at = std::find(names.begin(), names.end(), name);
      if (at == names.end()) {
        throw InputError(where + ": column '" + label_columns_[0] + "': class '" + name + "' is not one of data.classes (" +
                         Joined(names) + ")");
      }
      item->labels[static_cast<std::size_t>(at - names.begin())] = 1.0f;
    }
    return true;
  }

  std::string annotations_, delimiter_ = "auto", audio_column_, id_column_, labels_ = "regression";
  std::vector<std::string> label_columns_, classes_;
  std::string tag_column_, tag_separator_ = ";";
  std::vector<double> scale_ = {0.0, 1.0};
  std::string group_column_, split_column_;
};

}  // namespace

std::unique_ptr<DatasetLoader> MakeCsvLoader() { return std::make_unique<CsvLoader>(); }

namespace {

// mer data synth --dataset csv: the annotation files of the release's layout for synthetic songs.
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

}  // namespace

namespace csv_dataset {
void Register() {
  RegisterDataset({"csv", "your own data: one CSV/TSV row per clip, label columns declared in the config", MakeCsvLoader});
  RegisterSynthLayout("csv", {WriteCsvLayout, false, false});
}
}  // namespace csv_dataset

}  // namespace mer::data
