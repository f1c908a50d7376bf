// JSON rows of numbers as a float64 LibTorch matrix, for the tests that read reference values (header-only: the test
// support library itself does not link LibTorch).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace mer::test {

inline torch::Tensor JsonMatrix(const nlohmann::json& rows) {
  std::vector<double> flat;
  for (const auto& row : rows) {
    for (const auto& v : row) flat.push_back(v.get<double>());
  }
  return torch::tensor(flat, torch::kDouble).reshape({static_cast<int64_t>(rows.size()), -1});
}

}  // namespace mer::test
