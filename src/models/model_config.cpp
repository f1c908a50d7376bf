#include "mer/models/model_config.h"

#include "mer/core/error.h"
#include "mer/core/strings.h"
#include "mer/core/task_kind.h"
#include "mer/models/descriptor.h"

namespace mer::models {

using config::ThrowInvalid;

const config::Fields<ModelConfig>& ModelFields() {
  static const config::Fields<ModelConfig> fields = [] {
    using M = ModelConfig;
    config::Fields<M> f("model");
    f.Add<std::string>("name", &M::name, [](const std::string& v) { return !v.empty(); }, "a registered model name",
                       "the model: " + Joined(DescribedModels()) + " (their traits: the table below)");
    std::vector<std::string> tasks = {"auto"};
    for (const std::string& t : TaskNameList()) tasks.push_back(t);
    f.Choice("task", &M::task, tasks,
             "what is learned: auto = the dataset's own (regression, tagging or classes); quadrants from valence/"
             "arousal; dynamic = valence/arousal per window from the 2 Hz curves");
    f.Add<int>("input_frames", &M::input_frames, [](const int&) { return true; },
               "frames in [8, 100000]; for raw_cnn samples in [1024, 10000000]",
               "the model's input window (646 frames = 15 s at 22.05 kHz, hop 512)");
    f.Add<double>("dropout", &M::dropout, [](const double& v) { return v >= 0 && v < 1; }, "a number in [0, 1)",
                  "dropout before the output layer(s)");
    for (const std::string& model : DescribedModels()) f.Append(DescriptorOf(model).option_fields);
    return f;
  }();
  return fields;
}

void ModelConfig::Validate() const {
  ModelFields().Validate(*this);
  // The model's own declaration (src/models/*_info.cpp): its name, tasks, options and smallest input.
  const ModelDescriptor& d = DescriptorOf(name);
  if (task != "auto" && !d.Learns(task)) {
    throw ConfigError("model.task = \"" + task + "\" is invalid with model " + name + ": it learns " + Joined(d.tasks));
  }
  const ModelConfig defaults;
  for (const std::string& model : DescribedModels()) {
    for (const std::string& option : DescriptorOf(model).options) {
      const nlohmann::json value = ModelFields().Value(option, *this);
      if (d.Reads(option) || value == ModelFields().Value(option, defaults)) continue;
      std::vector<std::string> readers;
      for (const std::string& other : DescribedModels()) {
        if (DescriptorOf(other).Reads(option)) readers.push_back(other);
      }
      throw ConfigError("model." + option + " = " + value.dump() + " is invalid with model " + name +
                        ": it is an option of " + Joined(readers));
    }
  }
  const int64_t smallest = d.min_input(ToJson());
  if (input_frames < smallest || input_frames > d.max_input) {
    ThrowInvalid("model.input_frames", input_frames,
                 std::string(d.input == InputKind::kWaveform ? "a number of samples" : "an integer") + " in [" +
                     std::to_string(smallest) + ", " + std::to_string(d.max_input) + "] for " + name +
                     (d.min_input_doc.empty() ? "" : " (" + d.min_input_doc + ")"));
  }
  const TaskKind* kind = FindTask(task);  // nullptr for "auto"
  if (emotion_encoder != "mlp" && (kind == nullptr || !kind->dynamic)) {
    throw ConfigError("model.emotion_encoder = \"" + emotion_encoder +
                      "\" reads valence/arousal curves: it needs model.task = \"dynamic\", not \"" + task + "\"");
  }
}

nlohmann::json ModelConfig::ToJson() const { return ModelFields().ToJson(*this); }

nlohmann::json ModelOptionsToJson(const ModelOptions& options) {
  ModelConfig m;
  static_cast<ModelOptions&>(m) = options;
  nlohmann::json j = nlohmann::json::object();
  for (const std::string& model : DescribedModels()) {
    for (const std::string& option : DescriptorOf(model).options) j[option] = ModelFields().Value(option, m);
  }
  return j;
}

ModelOptions ModelOptionsFromJson(const nlohmann::json& j) {
  nlohmann::json options = nlohmann::json::object();
  for (const std::string& model : DescribedModels()) {
    for (const std::string& option : DescriptorOf(model).options) {
      if (j.contains(option)) options[option] = j.at(option);
    }
  }
  ModelConfig m;
  ModelFields().ReadPresent(options, &m);
  return m;
}

}  // namespace mer::models
