// Small string helpers shared by messages and generated docs.
#pragma once

#include <string>
#include <vector>

namespace mer {

// "a, b, c" (for messages listing names).
inline std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace mer
