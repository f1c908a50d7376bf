#include "output_paths.h"

#include <map>

#include "mer/core/error.h"
#include "mer/train/run_folder.h"

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

void RefuseOutputOverInput(const std::filesystem::path& out, const std::string& flag,
                           const std::vector<std::pair<std::filesystem::path, std::string>>& inputs) {
  std::error_code ec;
  if (!std::filesystem::exists(out, ec)) return;
  for (const auto& [input, what] : inputs) {
    if (std::filesystem::equivalent(out, input, ec) && !ec) {
      throw ConfigError(flag + " " + out.string() + " is " + what + " (an input of this command): writing it would "
                        "destroy it; choose another path");
    }
  }
}

std::vector<std::pair<std::filesystem::path, std::string>> RunFolderInputs(const std::vector<std::string>& runs) {
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  for (const std::string& run : runs) {
    for (const std::string& name : train::RunFolder::OwnFileNames()) {
      files.emplace_back(std::filesystem::path(run) / name, "a file of run " + run);
    }
  }
  return files;
}

}  // namespace mer::cli
