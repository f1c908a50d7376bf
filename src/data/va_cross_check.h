// Evidence checks for which column of a valence/arousal file is which (internal to the data library).
#pragma once

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

}  // namespace mer::data
