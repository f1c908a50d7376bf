// Helpers shared by the dataset loaders (internal to the data library).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mer/core/strings.h"
#include "mer/data/corpus.h"
#include "mer/data/csv.h"
#include "mer/data/registry.h"

namespace mer::data {

namespace fs = std::filesystem;

// `relative` under root unless it is absolute.
fs::path UnderRoot(const fs::path& root, const std::string& relative);

// Throws InputError "<path>: not found (expected <what>)" when the file is missing.
void RequireFile(const fs::path& path, const std::string& what);

// The first existing path of several candidates under root, or the first candidate when none exists.
fs::path FirstExisting(const fs::path& root, const std::vector<std::string>& candidates);

// "mm:ss" or "m.ss" (1000 Songs: 0.48 = 0 min 48 s) to seconds; throws InputError at `where`.
double MinutesSecondsToSeconds(const std::string& text, const std::string& where);

// Valence/arousal schema in the given scale.
LabelSchema VaSchema(double scale_min, double scale_max);

// Reads a wide per-frame file (`song_id,sample_15000ms,sample_15500ms,...`; shorter songs end in empty cells) into
// id -> values; sets *start and *hop (seconds) from the column names.
std::vector<std::pair<std::string, std::vector<float>>> ReadWideCurves(const fs::path& path, double* start,
                                                                      double* hop);

// Attaches dynamic curves by id to items (valence and arousal must both be present; lengths are cut to the shorter).
void AttachCurves(Corpus* corpus, const std::vector<std::pair<std::string, std::vector<float>>>& valence,
                  const std::vector<std::pair<std::string, std::vector<float>>>& arousal, double start, double hop);

// The loaders, one per file under src/data/.
std::unique_ptr<DatasetLoader> MakeCal500Loader();
std::unique_ptr<DatasetLoader> MakeCal500ExpLoader();
std::unique_ptr<DatasetLoader> MakePmemoLoader();
std::unique_ptr<DatasetLoader> MakePmemo2018Loader();
std::unique_ptr<DatasetLoader> MakeDeamLoader();
std::unique_ptr<DatasetLoader> MakeEmoMusicLoader();
std::unique_ptr<DatasetLoader> MakeDeezerLoader();
std::unique_ptr<DatasetLoader> MakeFourQLoader();
std::unique_ptr<DatasetLoader> MakeCsvLoader();

// Each dataset file registers its loader and its `mer data synth` layout together, in its own
// `namespace <file> { void Register(); }`, called for every file of MER_DATASETS (CMakeLists.txt).

// CSV options for a table file: TAB-separated for ".tsv" / ".tab", else comma.
CsvOptions CsvOptionsFor(const fs::path& path);

using mer::Joined;  // "a, b, c" (mer/core/strings.h)

// The parts of `text` between `separator`s, trimmed, empty parts dropped ("a; b;" -> {"a", "b"}).
std::vector<std::string> SplitTrimmed(const std::string& text, char separator);

// CAL500 song names are "artist-title"; three artists contain '-' themselves.
std::string Cal500Artist(const std::string& song);

}  // namespace mer::data
