// Output files named after their inputs in one folder (mer features --out-dir, mer embed --out-dir).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mer::cli {

// DIR/<input stem><extension> per input, checked before any work: DIR must be a folder (or not exist yet) and no two
// inputs may write the same file (ConfigError naming both).
std::vector<std::filesystem::path> OutputsInDir(const std::vector<std::string>& inputs, const std::filesystem::path& dir,
                                                const std::string& extension);

}  // namespace mer::cli
