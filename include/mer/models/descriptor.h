// What `mer` knows about a model before LibTorch is loaded: each model declares, in its own *_info.cpp file beside
// its module, its name, its options (key, default, valid values, doc), its traits (input kind, tasks, when mixup applies, the smallest input). `mer
// train` checks a config against it before any audio is decoded; the LibTorch registry (mer/models/model.h) builds
// only models that have a descriptor.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/core/fields.h"
#include "mer/core/task_kind.h"
#include "mer/models/model_config.h"

namespace mer::models {

enum class InputKind { kLogMel, kWaveform };

struct ModelDescriptor {
  std::string name;
  std::string description;
  InputKind input = InputKind::kLogMel;  // kWaveform: model.input_frames counts samples
  std::vector<std::string> tasks = TaskNameList();  // the TaskKind names it learns (default: every task)
  bool embedding = false;  // places music and emotions in one space (an EmbeddingModel: retrieval, `mer search`)
  // The model.* keys it reads beyond name, task, input_frames and dropout, each declared here once: key (a
  // ModelOptions member), valid values, one line of doc. `options` lists their keys (filled at registration).
  config::Fields<ModelConfig> option_fields{"model"};
  std::vector<std::string> options;
  // Smallest model.input_frames for a model section (the resolved `model` object: every key, defaults filled in).
  std::function<int64_t(const nlohmann::json& model)> min_input;
  std::string min_input_doc;  // how the smallest input follows from the options, when it does
  int64_t max_input = 100000;
  // Why augment.mixup_alpha does not apply to a model section, or "" when it does.
  std::function<std::string(const nlohmann::json& model)> no_mixup = [](const nlohmann::json&) { return ""; };
  std::string mixup_doc = "yes";  // the rule in words, for the reference

  bool Learns(const std::string& task) const;
  bool Reads(const std::string& option) const;
};

// The descriptors of every model (registered on first use; thread-safe).
std::vector<std::string> DescribedModels();
// The descriptor of `name`, or nullptr.
const ModelDescriptor* FindDescriptor(const std::string& name);
// The descriptor of `name`; mer::ConfigError "unknown model 'NAME'; registered: a, b, ..." when there is none.
const ModelDescriptor& DescriptorOf(const std::string& name);

// | model | input | tasks | options | smallest input_frames | mixup |: the generated reference (docs/config.md).
std::string ModelsMarkdown();

}  // namespace mer::models
