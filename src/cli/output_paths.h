// Output files named after their inputs in one folder (mer features --out-dir, mer embed --out-dir), and outputs
// that must not be an input of the same command.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mer::cli {

// DIR/<input stem><extension> per input, checked before any work: DIR must be a folder (or not exist yet) and no two
// inputs may write the same file (ConfigError naming both).
std::vector<std::filesystem::path> OutputsInDir(const std::vector<std::string>& inputs, const std::filesystem::path& dir,
                                                const std::string& extension);

// ConfigError "<flag> PATH is <what it is> (an input of this command): writing it would destroy it; choose another
// path" when `out` is one of `inputs` (existing files compared by device and inode: a link or another spelling of the
// path is caught). `inputs` pairs each file with what it is ("the run's best.pt", "an audio input").
void RefuseOutputOverInput(const std::filesystem::path& out, const std::string& flag,
                           const std::vector<std::pair<std::filesystem::path, std::string>>& inputs);
// The files the run folders hold (RunFolder::OwnFileNames), each named "a file of run DIR".
std::vector<std::pair<std::filesystem::path, std::string>> RunFolderInputs(const std::vector<std::string>& runs);

}  // namespace mer::cli
