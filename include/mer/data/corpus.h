// What every dataset loader yields: items with an id, an audio path and labels in the dataset's own scale, behind
// the small Dataset interface (size(), get(i)) that splits, caches and loaders wrap.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mer::data {

enum class Task {
  kRegression,  // static valence/arousal
  kTagging,     // multi-label tags (binary, or soft values in [0, 1])
  kClasses,     // single-label classification: labels one-hot over the class names (exactly one 1)
};

struct LabelSchema {
  Task task = Task::kRegression;
  std::vector<std::string> names;  // "valence", "arousal", tag names, or class names
  double scale_min = 0.0;          // the dataset's own label scale
  double scale_max = 1.0;
  double midpoint = 0.5;           // valence/arousal threshold of the quadrants
};

// Valence/arousal over time at a fixed rate (2 Hz from 15 s in DEAM, 1000 Songs; from 15.5 s in PMEmo).
struct Curve {
  double start_seconds = 0.0;
  double hop_seconds = 0.5;
  std::vector<float> valence;
  std::vector<float> arousal;  // same length as valence
};

struct Item {
  std::string id;                   // the dataset's own id ("2", "10cc-for_you_and_i", "10cc-for_you_and_i#3")
  std::filesystem::path audio;      // where the audio file is (or would be)
  std::string artist;
  std::string title;
  std::string group;                // items sharing a group never straddle splits (artist, or duplicate songs)
  std::vector<float> labels;        // schema order, dataset scale
  std::optional<Curve> dynamic;
  double start_seconds = 0.0;       // a segment of the audio file; end 0 = to the end
  double end_seconds = 0.0;
  std::string official_split;       // "train", "val", "test", or "" where the dataset has no official split
  double chorus_start_seconds = -1; // PMEmo: where the chorus clip sits in the full song (-1 unknown)
  double chorus_end_seconds = -1;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::size_t size() const = 0;
  virtual const Item& get(std::size_t index) const = 0;
};

struct Corpus : public Dataset {
  std::string dataset;                  // registry name
  std::filesystem::path root;
  LabelSchema schema;
  std::vector<Item> items;              // labelled items, in the files' order
  std::size_t skipped_unlabeled = 0;    // rows without labels (e.g. PMEmo's 27 short clips)
  std::vector<std::string> warnings;    // problems `mer data check` reports
  std::vector<std::string> notes;       // facts worth reporting that are not problems (cross-checks passed)

  std::size_t size() const override { return items.size(); }
  const Item& get(std::size_t index) const override { return items.at(index); }
};

// Quadrant of the valence/arousal plane: 0 = Q1 (V+, A+), 1 = Q2 (V-, A+), 2 = Q3 (V-, A-), 3 = Q4 (V+, A-).
// Values equal to the midpoint count as positive.
int Quadrant(double valence, double arousal, double midpoint);
extern const char* const kQuadrantNames[4];

// Index of "valence" / "arousal" in the schema, or -1.
int LabelIndex(const LabelSchema& schema, const std::string& name);

// Rejects ids that could escape the dataset folder when used in a path ("..", "/", "\\", NUL, empty).
// Throws InputError "<where>: id '<id>' ...".
void CheckSafeId(const std::string& id, const std::string& where);

}  // namespace mer::data
