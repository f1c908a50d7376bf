// Helpers for the data tests: load a dataset by name with optional `data` keys.
#pragma once

#include <filesystem>
#include <string>
#include <typeinfo>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mer/core/error.h"
#include "mer/data/data_config.h"
#include "support/test_support.h"

namespace mer::data::test {

// A committed dataset excerpt under tests/fixtures/datasets.
inline std::filesystem::path Fixture(const std::string& relative) {
  return mer::test::TestData("fixtures/datasets/" + relative);
}

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

// The message of the exception of type E that `body` throws ("" and a failure if none).
template <typename E, typename F>
std::string ErrorOf(F&& body) {
  try {
    body();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no " << typeid(E).name();
  return "";
}
template <typename F>
std::string InputErrorOf(F&& body) {
  return ErrorOf<InputError>(std::forward<F>(body));
}
template <typename F>
std::string ConfigErrorOf(F&& body) {
  return ErrorOf<ConfigError>(std::forward<F>(body));
}

}  // namespace mer::data::test
