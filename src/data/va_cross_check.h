// Evidence checks for which column of a valence/arousal file is which (internal to the data library).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mer/data/corpus.h"

namespace mer::data {

// Pearson correlation (NaN for fewer than 3 pairs or zero variance).
double Pearson(const std::vector<double>& x, const std::vector<double>& y);

// Compares static valence/arousal of two corpora on their shared ids. Returns a warning when they disagree
// (r < 0.9 for either dimension), saying whether swapping one side's columns would make them agree; "" otherwise.
std::string CrossCheckVa(const Corpus& a, const Corpus& b);

// Compares each item's static labels with the mean of its dynamic curve; warns when the curves agree better with
// the static columns swapped.
std::string CheckStaticAgainstDynamic(const Corpus& corpus);

// Reads the wide arousal and valence curve files (when both exist), attaches them, and adds a warning when they
// agree better with the static labels swapped. `swap` exchanges the two files' roles (va_columns "swapped").
void AttachCurvesAndCheck(Corpus* corpus, const std::filesystem::path& arousal_file,
                          const std::filesystem::path& valence_file, bool swap = false);

// Compares with `other` (loaded from `other_root`): a note when they agree, a warning when they do not.
void RecordCrossCheck(Corpus* corpus, const Corpus& other, const std::string& other_name, const std::string& other_root);

}  // namespace mer::data
