// mer embed --model NAME [--layer LAYER] AUDIO... --out-dir DIR
// mer embed --model NAME [--layer LAYER] --list FILES.txt --out EMB.jsonl [--shard I/N]
// A pretrained network's layer over songs (mer/models/pretrained.h): per song [patches, dims] and the track mean.
// Also mer predict --tags NAME AUDIO... (RunTags): the top tags of the network's taggram, as the authors' tagger.
#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "command.h"
#include "embed_command.h"
#include "output_paths.h"
#include "mer/core/error.h"
#include "mer/core/strings.h"
#include "mer/core/npy.h"
#include "mer/core/parallel.h"
#include "mer/models/pretrained.h"
#include "mer/train/plugin.h"
#include "predict_catalogue.h"

namespace mer::cli {
namespace {

namespace fs = std::filesystem;

struct EmbedArgs {
  std::string model, layer, device = "cpu", out_dir;
  std::vector<std::string> files;
  CatalogueArgs catalogue;  // --list, --out, --shard, --chunk
};

train::RunInputSpec PretrainedInputs() { return {models::PretrainedFrontend(), false, {}}; }

// The plugin, with the model's weights loaded and checked (a missing, cut-short or foreign file is one line naming
// it) before any audio is decoded.
const train::TorchPlugin& OpenModel(const train::PretrainedOptions& options, std::vector<std::string>* tags) {
  const train::TorchPlugin& plugin = train::LoadTorchPlugin();
  std::vector<train::PretrainedResult> none;
  train::PluginError error;
  if (!plugin.pretrained(options, {}, &none, tags, &error)) train::Rethrow(error);
  return plugin;
}

std::vector<train::PretrainedResult> Run(const train::TorchPlugin& plugin, const train::PretrainedOptions& options,
                                         const std::vector<train::PredictInput>& inputs) {
  std::vector<train::PretrainedResult> results;
  train::PluginError error;
  if (!plugin.pretrained(options, inputs, &results, nullptr, &error)) train::Rethrow(error);
  return results;
}

train::PretrainedOptions Options(const std::string& model, const std::string& layer, const std::string& device) {
  const models::PretrainedModel& m = models::FindPretrained(model);  // ConfigError listing the models
  train::PretrainedOptions o;
  o.model = m.name;
  o.layer = m.Layer(layer.empty() ? m.default_layer : layer).name;  // ConfigError listing the layers
  o.device = device;
  return o;
}

int RunEmbedFiles(const EmbedArgs& a, const train::PretrainedOptions& options) {
  if (a.out_dir.empty()) throw ConfigError("mer embed needs --out-dir DIR for its audio files (or --list with --out)");
  // DIR/<stem>.npy (and <stem>.mean.npy) per input; two inputs writing one file are refused before any work.
  const std::vector<fs::path> outputs = OutputsInDir(a.files, a.out_dir, ".npy");
  const train::TorchPlugin& plugin = OpenModel(options, nullptr);
  std::error_code ec;
  fs::create_directories(a.out_dir, ec);
  if (ec) throw OutputError(a.out_dir + ": cannot create directory: " + ec.message());
  int failed = 0;
  constexpr std::size_t kChunk = 16;  // songs decoded at once: memory stays bounded for any number of files
  for (std::size_t from = 0; from < a.files.size(); from += kChunk) {
    const std::vector<fs::path> chunk(a.files.begin() + static_cast<long>(from),
                                      a.files.begin() + static_cast<long>(std::min(a.files.size(), from + kChunk)));
    const auto inputs = train::PredictInputs(PretrainedInputs(), chunk, DefaultThreadCount());
    const auto results = Run(plugin, options, inputs);
    for (std::size_t i = 0; i < results.size(); ++i) {
      const train::PretrainedResult& r = results[i];
      if (!r.error.empty()) {
        std::cerr << "mer: error: " << r.error << "\n";
        ++failed;
        continue;
      }
      const fs::path& out = outputs[from + i];
      fs::path mean_out = out;
      mean_out.replace_extension(".mean.npy");
      SaveNpy(out, {r.patches, r.dims}, r.values.data());
      const std::vector<float> mean = r.Mean();
      SaveNpy(mean_out, {r.dims}, mean.data());
      std::cout << r.file.string() << ": " << r.patches << " patches x " << r.dims << " (" << options.model << " "
                << options.layer << ") -> " << out.string() << ", " << mean_out.filename().string() << "\n";
    }
  }
  if (failed) std::cerr << "mer embed: " << failed << " of " << a.files.size() << " files failed\n";
  return failed ? kExitFailure : kExitOk;
}

int RunEmbed(const EmbedArgs& a) {
  const train::PretrainedOptions options = Options(a.model, a.layer, a.device);
  if (a.catalogue.list.empty()) {
    if (a.files.empty()) throw ConfigError("mer embed needs audio files, or --list FILES.txt --out EMB.jsonl");
    if (!a.catalogue.out.empty() || !a.catalogue.shard.empty()) throw ConfigError("--out and --shard go with --list");
    return RunEmbedFiles(a, options);
  }
  if (!a.files.empty() || !a.out_dir.empty()) {
    throw ConfigError("--list takes the files from the list and writes --out: no audio arguments or --out-dir");
  }
  const train::TorchPlugin& plugin = OpenModel(options, nullptr);
  CatalogueJob job;
  job.command = "embed";
  job.list = a.catalogue.list;
  job.out = a.catalogue.out;
  job.shard = a.catalogue.shard;
  job.chunk = a.catalogue.chunk;
  job.inputs = PretrainedInputs();
  job.score = [&plugin, options](const std::vector<train::PredictInput>& inputs) {
    std::vector<nlohmann::json> lines;
    for (const train::PretrainedResult& r : Run(plugin, options, inputs)) {
      if (!r.error.empty()) {
        lines.push_back({{"file", Utf8Escaped(r.file.string())}, {"error", Utf8Escaped(r.error)}});
      } else {
        lines.push_back({{"file", Utf8Escaped(r.file.string())}, {"model", options.model}, {"layer", options.layer},
                         {"patches", r.patches}, {"mean", r.Mean()}});
      }
    }
    return lines;
  };
  return RunCatalogue(job);
}

}  // namespace

int RunTags(const std::string& model, const std::vector<std::string>& files, int top, bool json,
            const std::string& device) {
  if (files.empty()) throw ConfigError("mer predict --tags needs audio files");
  if (top < 1 || top > 50) throw ConfigError("--top " + std::to_string(top) + ": expected 1 .. 50");
  const train::PretrainedOptions options = Options(model, "taggram", device);
  std::vector<std::string> tags;
  const train::TorchPlugin& plugin = OpenModel(options, &tags);
  const std::vector<fs::path> paths(files.begin(), files.end());
  const auto results = Run(plugin, options, train::PredictInputs(PretrainedInputs(), paths, DefaultThreadCount()));
  int failed = 0;
  nlohmann::json all = nlohmann::json::array();
  for (const train::PretrainedResult& r : results) {
    if (!r.error.empty()) {
      std::cerr << "mer: error: " << r.error << "\n";
      ++failed;
      if (json) all.push_back({{"file", Utf8Escaped(r.file.string())}, {"error", Utf8Escaped(r.error)}});
      continue;
    }
    // The authors' tagger: the taggram's mean over the patches, the topN tags by that likelihood.
    const std::vector<float> mean = r.Mean();
    std::vector<std::size_t> order(mean.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return mean[x] > mean[y]; });
    if (json) {
      nlohmann::json likelihood = nlohmann::json::object(), best = nlohmann::json::array();
      for (std::size_t k = 0; k < mean.size(); ++k) likelihood[tags[k]] = mean[k];
      for (int k = 0; k < top; ++k) best.push_back(tags[order[static_cast<std::size_t>(k)]]);
      all.push_back({{"file", Utf8Escaped(r.file.string())}, {"model", options.model}, {"patches", r.patches}, {"top", best},
                     {"tags", likelihood}});
      continue;
    }
    std::cout << "[" << r.file.string() << "] Top" << top << " tags (" << options.model << ", " << r.patches
              << " patches):\n";
    for (int k = 0; k < top; ++k) {
      const std::size_t tag = order[static_cast<std::size_t>(k)];
      char line[160];
      std::snprintf(line, sizeof(line), " - %s %.3f\n", tags[tag].c_str(), mean[tag]);
      std::cout << line;
    }
  }
  if (json) std::cout << all.dump(2) << "\n";
  return failed ? kExitFailure : kExitOk;
}

Command AddEmbedCommand(CLI::App& parent) {
  auto a = std::make_shared<EmbedArgs>();
  CLI::App* app = parent.add_subcommand("embed", "A pretrained network's embeddings of audio files (musicnn, VGG)");
  app->add_option("--model", a->model, "mtt_musicnn, msd_musicnn, mtt_vgg or msd_vgg")->required();
  app->add_option("--layer", a->layer,
                  "musicnn: penultimate (default), max_pool, mean_pool, taggram; vgg: pool5 (default), taggram");
  app->add_option("audio", a->files, "Audio files");
  app->add_option("--out-dir", a->out_dir, "Output folder: <stem>.npy [patches, dims] and <stem>.mean.npy [dims]");
  app->add_option("--list", a->catalogue.list, "A catalogue: a text file of audio paths, one per line");
  app->add_option("--out", a->catalogue.out,
                  "With --list: append one JSON line per song (its track mean) here; songs already in it are skipped");
  app->add_option("--shard", a->catalogue.shard, "With --list: embed only the songs i with i mod N = I (I/N)");
  app->add_option("--chunk", a->catalogue.chunk, "With --list: songs decoded and embedded together (default 64)");
  app->add_option("--device", a->device, "cpu (default), cuda or auto");
  return {app, [a] { return RunEmbed(*a); }};
}

}  // namespace mer::cli
