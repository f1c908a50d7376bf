#include "checkpoint.h"

#include <atomic>
#include <cstdio>
#include <map>
#include <sstream>

#include <unistd.h>

#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/data/feature_cache.h"

namespace mer::train {
namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

models::ModelSpec SpecFromJson(const nlohmann::json& j) {
  models::ModelSpec s;
  s.n_mels = j.at("n_mels").get<int>();
  s.frames = j.at("frames").get<int64_t>();
  s.outputs = j.at("outputs").get<int>();
  s.dropout = j.at("dropout").get<double>();
  s.task = j.value("task", s.task);
  static_cast<models::ModelOptions&>(s) = models::ModelOptionsFromJson(j);
  s.curve_steps = j.value("curve_steps", s.curve_steps);
  s.learnable_frontend = j.value("learnable_frontend", false);
  s.train_stft = j.value("train_stft", true);
  s.train_mel = j.value("train_mel", true);
  if (j.contains("frontend")) s.frontend = j.at("frontend").get<features::FrontendConfig>();
  s.pretrained_layers = j.value("pretrained_layers", std::vector<std::string>{});
  return s;
}

nlohmann::json SpecToJson(const models::ModelSpec& s) {
  nlohmann::json j = models::ModelOptionsToJson(s);
  j.update({{"n_mels", s.n_mels},
            {"frames", s.frames},
            {"outputs", s.outputs},
            {"dropout", s.dropout},
            {"task", s.task},
            {"curve_steps", s.curve_steps},
            {"learnable_frontend", s.learnable_frontend},
            {"train_stft", s.train_stft},
            {"train_mel", s.train_mel},
            {"frontend", s.frontend}});
  if (!s.pretrained_layers.empty()) j["pretrained_layers"] = s.pretrained_layers;
  return j;
}

torch::Device ResolveDevice(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  const bool cuda = torch::cuda::is_available();
  if (name == "cuda") {
    if (!cuda) throw ConfigError("--device cuda: this LibTorch build has no CUDA support or no GPU is visible");
    return torch::kCUDA;
  }
  if (name == "auto") return cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  throw ConfigError("--device " + name + ": expected cpu, cuda or auto");
}

void SaveCheckpoint(const std::filesystem::path& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                    const nlohmann::json& meta) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer != nullptr) {
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  archive.write("meta", c10::IValue(meta.dump()));
  // Serialised in memory, then written by WriteFileAtomically: a full disk or an I/O error is one OutputError
  // ("disk full writing RUN/last.pt"), the temporary file is removed and the previous checkpoint stays intact.
  // (LibTorch's own file writer aborts the process when its final write fails.)
  std::ostringstream bytes;
  try {
    archive.save_to(bytes);
  } catch (const c10::Error&) {
    throw OutputError(path.string() + ": cannot serialise checkpoint");
  }
  WriteFileAtomically(path, bytes.str());
}

LoadedCheckpoint LoadCheckpoint(const std::filesystem::path& path, const torch::Device& device) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw InputError(path.string() + ": checkpoint not found");
  if (!std::filesystem::is_regular_file(status)) {
    throw InputError(path.string() + ": not a regular file (a checkpoint is one file)");
  }
  constexpr std::uintmax_t kMaxCheckpointBytes = std::uintmax_t{4} << 30;  // mer's largest model is ~100 MB
  if (std::filesystem::file_size(path, ec) > kMaxCheckpointBytes) {
    throw InputError(path.string() + ": larger than the 4 GiB a mer checkpoint may be");
  }
  LoadedCheckpoint c;
  c.archive = std::make_unique<torch::serialize::InputArchive>();
  try {
    c.archive->load_from(path.string(), device);
    c10::IValue meta;
    c.archive->read("meta", meta);
    c.meta = nlohmann::json::parse(meta.toStringRef());
  } catch (const std::exception&) {
    throw InputError(path.string() + ": not a mer checkpoint, or truncated/corrupted");
  }
  std::string name;
  try {
    const int format = c.meta.is_object() ? c.meta.value("format_version", 0) : 0;
    if (format != kCheckpointFormat) {
      throw InputError(path.string() + ": checkpoint format " + std::to_string(format) + ", this mer reads format " +
                       std::to_string(kCheckpointFormat));
    }
    name = c.meta.at("model").get<std::string>();
    c.model = models::CreateModel(name, SpecFromJson(c.meta.at("spec")));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string() + ": checkpoint meta is malformed (" + std::string(e.what()).substr(0, 160) + ")");
  } catch (const ConfigError& e) {  // a model spec the registry refuses
    throw InputError(path.string() + ": checkpoint meta does not check out (" + std::string(e.what()) + ")");
  }
  // Module::load replaces tensors whatever their shape, so a checkpoint from a version of mer whose model differed
  // (same format, other layer sizes) would load and fail at the first forward: compare every shape first.
  std::map<std::string, std::vector<int64_t>> expected;
  for (const auto& p : c.model->named_parameters()) expected[p.key()] = p.value().sizes().vec();
  for (const auto& b : c.model->named_buffers()) expected[b.key()] = b.value().sizes().vec();
  try {
    torch::serialize::InputArchive model_archive;
    c.archive->read("model", model_archive);
    c.model->load(model_archive);
  } catch (const std::exception&) {
    throw InputError(path.string() + ": its weights do not fit model '" + name + "' as described in the checkpoint");
  }
  const auto check = [&](const std::string& key, const torch::Tensor& loaded) {
    const auto& want = expected.at(key);
    if (loaded.sizes().vec() == want) return;
    throw InputError(path.string() + ": its weights do not fit model '" + name + "' as this mer builds it (" + key +
                     " is " + ShapeText(loaded.sizes().vec()) + ", expected " + ShapeText(want) +
                     "); it was written by another version of mer: train it again");
  };
  for (const auto& p : c.model->named_parameters()) check(p.key(), p.value());
  for (const auto& b : c.model->named_buffers()) check(b.key(), b.value());
  c.model->to(device);
  c.model->eval();
  return c;
}

void LoadOptimizerState(const LoadedCheckpoint& checkpoint, torch::optim::Optimizer* optimizer,
                        const std::filesystem::path& path) {
  try {
    torch::serialize::InputArchive optimizer_archive;
    checkpoint.archive->read("optimizer", optimizer_archive);
    optimizer->load(optimizer_archive);
  } catch (const std::exception&) {
    throw InputError(path.string() + ": has no usable optimiser state to resume from");
  }
}

std::string SplitChecksum(const std::string& split_json_text) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(data::Fnv1a(split_json_text.data(), split_json_text.size())));
  return hex;
}

}  // namespace mer::train
