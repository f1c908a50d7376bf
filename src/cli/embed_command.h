// mer predict --tags MODEL AUDIO...: lives beside mer embed (the same pretrained networks).
#pragma once

#include <string>
#include <vector>

namespace mer::cli {

// Prints the `top` most likely tags of each file (the taggram's mean over its patches), or all 50 as JSON.
// Returns the exit code (1 when a file failed; the others still run).
int RunTags(const std::string& model, const std::vector<std::string>& files, int top, bool json,
            const std::string& device);

}  // namespace mer::cli
