#include "mer/data/corpus.h"

#include "mer/core/error.h"

namespace mer::data {

const char* const kQuadrantNames[4] = {"Q1", "Q2", "Q3", "Q4"};

int Quadrant(double valence, double arousal, double midpoint) {
  const bool v = valence >= midpoint, a = arousal >= midpoint;
  if (v && a) return 0;
  if (!v && a) return 1;
  if (!v && !a) return 2;
  return 3;
}

int LabelIndex(const LabelSchema& schema, const std::string& name) {
  for (std::size_t i = 0; i < schema.names.size(); ++i) {
    if (schema.names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

void CheckSafeId(const std::string& id, const std::string& where) {
  if (id.empty()) throw InputError(where + ": empty id");
  if (id == "." || id == ".." || id.find('/') != std::string::npos || id.find('\\') != std::string::npos ||
      id.find('\0') != std::string::npos || id.rfind("..", 0) == 0) {
    throw InputError(where + ": id '" + id + "' could escape the dataset folder (contains '/', '\\\\' or '..')");
  }
}

}  // namespace mer::data
