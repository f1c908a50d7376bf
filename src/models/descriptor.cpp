#include "mer/models/descriptor.h"

#include <algorithm>
#include <mutex>

#include "mer/core/registry.h"

namespace mer::models {

// Each model file's Descriptors() (the list is generated from MER_MODELS in CMakeLists.txt).
#define MER_MODEL(file) \
  namespace file {       \
  std::vector<ModelDescriptor> Descriptors(); \
  }
#include "mer_models.inc"
#undef MER_MODEL

namespace {

const NamedRegistry<ModelDescriptor>& Descriptors() {
  static NamedRegistry<ModelDescriptor> registry("model");
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<ModelDescriptor> all;
#define MER_MODEL(file) \
  for (ModelDescriptor& d : file::Descriptors()) all.push_back(std::move(d));
#include "mer_models.inc"
#undef MER_MODEL
    for (ModelDescriptor& d : all) {
      d.options = d.option_fields.Keys();
      registry.Register(d.name, d);
    }
  });
  return registry;
}

}  // namespace

bool ModelDescriptor::Learns(const std::string& task) const {
  return std::find(tasks.begin(), tasks.end(), task) != tasks.end();
}

bool ModelDescriptor::Reads(const std::string& option) const {
  return std::find(options.begin(), options.end(), option) != options.end();
}

std::vector<std::string> DescribedModels() { return Descriptors().Names(); }

const ModelDescriptor* FindDescriptor(const std::string& name) { return Descriptors().TryFind(name); }

std::string ModelsMarkdown() {
  const auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "`" : ", `") + i + "`";
    return out.empty() ? std::string("–") : out;
  };
  std::string out = "| model | what it is | input | tasks | options | smallest `input_frames` (defaults) | mixup |\n"
                    "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const std::string& name : DescribedModels()) {
    const ModelDescriptor& d = Descriptors().Find(name);
    out += "| `" + name + "` | " + d.description + " | " + (d.input == InputKind::kWaveform ? "waveform (samples)" : "log-mel (frames)") +
           " | " + join(d.tasks) + " | " + join(d.options) + " | " +
           std::to_string(d.min_input(nlohmann::json::object())) + " | " +
           d.mixup_doc + " |\n";
  }
  return out;
}

const ModelDescriptor& DescriptorOf(const std::string& name) { return Descriptors().Find(name); }

}  // namespace mer::models
