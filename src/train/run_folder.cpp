#include "mer/train/run_folder.h"

#include "mer/core/config.h"
#include "mer/core/error.h"

namespace mer::train {

std::string FirstDifference(const nlohmann::json& trained, const nlohmann::json& now) {
  const nlohmann::json patch = nlohmann::json::diff(trained, now);
  const std::string where = patch.empty() ? "" : patch[0].value("path", "");
  return where.empty() ? "the top" : where;
}

const std::set<std::string>& RunFolder::OwnFileNames() {
  static const std::set<std::string> kNames = {"config.json", "split.json", "labels.json", "train_log.jsonl",
                                               "best.pt",     "last.pt",    "metrics.json", "sweep.json",
                                               "train.out",   "eval.json",  "test_predictions.csv", "mer.lock"};
  return kNames;
}

void RunFolder::RequireFolder() const {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) throw InputError(dir_.string() + ": not a run folder");
}

nlohmann::json RunFolder::ConfigJson() const {
  RequireFolder();
  std::error_code ec;
  const std::filesystem::path path = ConfigFile();
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path.string() + ": not found (not a run folder?)");
  try {
    return config::LoadJsonFile(path);
  } catch (const ConfigError& e) {
    throw InputError(path.string() + ": " + e.what());
  }
}

RunConfig RunFolder::ParseConfig(const nlohmann::json& config, const std::string& source) {
  try {
    return ParseRunConfig(config);
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());
  }
}

RunIdentity RunFolder::Identity() const {
  const nlohmann::json j = ConfigJson();
  const auto section = [&](const char* name) { return j.is_object() ? j.value(name, nlohmann::json::object()) : nlohmann::json(); };
  try {
    ModelConfig model;
    ModelFields().ReadPresent(section("model"), &model);
    TrainConfig train;
    TrainFields().ReadPresent(section("train"), &train);
    data::DataConfig data;
    data::DataFields().ReadPresent(section("data"), &data);
    RunIdentity id{model.name, data.dataset, train.seed, std::nullopt};
    if (data.split.method == "kfold") id.fold = data.split.fold;
    return id;
  } catch (const ConfigError& e) {
    throw InputError(ConfigFile().string() + ": " + e.what());
  }
}

}  // namespace mer::train
