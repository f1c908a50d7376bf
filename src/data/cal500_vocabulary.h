// CAL500 tag vocabularies (internal to the data library).
#pragma once

#include <string>
#include <vector>

namespace mer::data {

const std::vector<std::string>& Cal500Vocabulary();  // 174 names of vocab.txt, in order
const std::vector<std::string>& Cal500ExpTags();     // 67 tag columns of CAL500exp, in order

}  // namespace mer::data
