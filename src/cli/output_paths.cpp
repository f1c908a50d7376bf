#include "output_paths.h"

#include <map>

#include "mer/core/error.h"

namespace mer::cli {

std::vector<std::filesystem::path> OutputsInDir(const std::vector<std::string>& inputs, const std::filesystem::path& dir,
                                                const std::string& extension) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    throw ConfigError("--out-dir " + dir.string() + ": exists and is not a directory");
  }
  std::vector<std::filesystem::path> outputs;
  std::map<std::filesystem::path, std::string> taken;
  for (const auto& input : inputs) {
    const std::filesystem::path output = dir / (std::filesystem::path(input).stem().string() + extension);
    const auto [it, inserted] = taken.emplace(output, input);
    if (!inserted) {
      throw ConfigError("inputs " + it->second + " and " + input + " would both write " + output.string() +
                        "; run them into different --out-dir folders");
    }
    outputs.push_back(output);
  }
  return outputs;
}

}  // namespace mer::cli
