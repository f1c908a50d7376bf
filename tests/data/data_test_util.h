// Helpers for the data tests: load a dataset by name with optional `data` keys.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mer/core/error.h"
#include "mer/data/data_config.h"

namespace mer::data::test {

inline Corpus Load(const std::string& dataset, const std::filesystem::path& root, nlohmann::json extra = {}) {
  nlohmann::json data = {{"dataset", dataset}, {"root", root.string()}};
  if (extra.is_object()) data.update(extra);
  const DataConfig config = ParseDataConfig(data);
  return config.LoadCorpus();
}

inline const Item& ById(const Corpus& corpus, const std::string& id) {
  for (const auto& item : corpus.items) {
    if (item.id == id) return item;
  }
  throw std::runtime_error("no item " + id);
}

// The message of the InputError that `body` throws ("" and a failure if none).
template <typename F>
std::string InputErrorOf(F&& body) {
  try {
    body();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

}  // namespace mer::data::test
