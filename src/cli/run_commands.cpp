// mer train --config FILE [--set a.b=value]... [--out DIR] [--device cpu|cuda|auto] [--resume]
// mer eval --run DIR [--run DIR2 ...] [--split test|val|train] [--json] [--predictions FILE.csv] [--plots DIR]
//          [--device ...]
// mer predict --run DIR [--run DIR2 ...] AUDIO... [--json] [--hop SECONDS] [--plot FILE.svg] [--device ...]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "command.h"
#include "output_paths.h"
#include "local_ranks.h"
#include "embed_command.h"
#include "predict_catalogue.h"
#include "mer/core/error.h"
#include "mer/core/strings.h"
#include "mer/core/parallel.h"
#include "mer/train/ensemble.h"
#include "mer/train/plugin.h"
#include "plots.h"

namespace mer::cli {
namespace {

struct TrainArgs {
  std::string config, out, device = "auto";
  std::vector<std::string> overrides;
  bool resume = false;
  int nproc = 1;
  int dist_timeout = 300;
};

int RunTrain(const TrainArgs& a) {
  const std::filesystem::path out = a.out.empty() ? std::filesystem::path("runs") / std::filesystem::path(a.config).stem()
                                                  : std::filesystem::path(a.out);
  if (a.nproc > 1) {  // this process supervises the ranks; each of them validates and trains
    train::LoadValidRunConfigJson(a.config, a.overrides);
    std::vector<std::string> args = {"train", "--config", a.config, "--out", out.string(), "--device", a.device,
                                     "--dist-timeout", std::to_string(a.dist_timeout)};
    for (const auto& o : a.overrides) args.insert(args.end(), {"--set", o});
    if (a.resume) args.push_back("--resume");
    return RunLocalRanks(a.nproc, args);
  }
  auto plugin = train::LoadTorchPluginAsync();  // LibTorch loads while the config is validated
  const nlohmann::json config = train::LoadValidRunConfigJson(a.config, a.overrides);
  train::TrainOptions options;
  options.out_dir = out;
  options.device = a.device;
  options.resume = a.resume;
  options.dist_timeout_seconds = a.dist_timeout;
  train::PluginError error;
  const int code = plugin.get()->train(config, options, &error);
  if (code < 0) train::Rethrow(error);
  return code;
}

struct EvalArgs {
  std::vector<std::string> runs;  // several: an ensemble
  std::string split = "test", predictions, device = "auto", plots, data_root;
  bool json = false;
};

// A confusion matrix as a table: one row per true class, one column per predicted class.
void PrintConfusion(const nlohmann::json& confusion, const nlohmann::json& classes, const std::string& indent) {
  std::cout << indent << "confusion (rows: true, columns: predicted):\n" << indent << "  " << std::string(8, ' ');
  for (const auto& c : classes) std::printf("%8.8s", c.get<std::string>().c_str());
  std::printf("\n");
  for (std::size_t r = 0; r < confusion.size(); ++r) {
    std::printf("%s  %-8.8s", indent.c_str(), classes[r].get<std::string>().c_str());
    for (const auto& v : confusion[r]) std::printf("%8zu", v.get<std::size_t>());
    std::printf("\n");
  }
  std::fflush(stdout);
}

void PrintMetrics(const nlohmann::json& m, const std::string& indent) {
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (it.key() == "classes") continue;
    if (it.key() == "confusion" && m.contains("classes") && m["classes"].size() == it->size()) {
      PrintConfusion(*it, m["classes"], indent);
    } else if (it->is_object()) {
      std::cout << indent << it.key() << ":\n";
      PrintMetrics(*it, indent + "  ");
    } else if (it->is_number_float()) {
      std::printf("%s%-24s %.4f\n", indent.c_str(), it.key().c_str(), it->get<double>());
      std::fflush(stdout);
    } else {
      std::cout << indent << it.key() << std::string(it.key().size() < 24 ? 25 - it.key().size() : 1, ' ') << it->dump()
                << "\n";
    }
  }
}

int RunEval(const EvalArgs& a) {
  if (!a.predictions.empty()) RefuseOutputOverInput(a.predictions, "--predictions", RunFolderInputs(a.runs));
  train::EvalOptions o;
  o.run_dir = a.runs.front();
  o.members.assign(a.runs.begin() + 1, a.runs.end());
  o.split = a.split;
  o.data_root = a.data_root;
  o.predictions_csv = a.predictions;
  if (!a.plots.empty() && a.predictions.empty()) o.predictions_csv = std::filesystem::path(a.plots) / "predictions.csv";
  if (!a.plots.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.plots, ec);
    if (ec) throw OutputError(a.plots + ": cannot create (" + ec.message() + ")");
  }
  o.device = a.device;
  nlohmann::json result;
  train::PluginError error;
  if (!train::LoadTorchPlugin().evaluate(o, &result, &error)) train::Rethrow(error);
  if (a.json) {
    std::cout << result.dump(2) << "\n";
  } else {
    std::cout << (a.runs.size() > 1 ? "ensemble of " + std::to_string(a.runs.size()) + " runs from " : "")
              << result["run"].get<std::string>() << ": " << result["task"].get<std::string>() << " on "
              << result["items"] << " " << result["split"].get<std::string>() << " items\n";
    PrintMetrics(result["metrics"], "  ");
  }
  if (!a.plots.empty()) {
    const auto written = WriteEvalPlots(a.runs.front(), o.predictions_csv, a.plots, result["metrics"]);
    std::cerr << "mer eval: wrote";
    for (const auto& f : written) std::cerr << " " << f.string();
    std::cerr << "\n";
  }
  return kExitOk;
}

struct ExportArgs {
  std::string run, out;
};

int RunExport(const ExportArgs& a) {
  RefuseOutputOverInput(a.out, "--out", RunFolderInputs({a.run}));
  train::ExportOptions o;
  o.run_dir = a.run;
  o.out = a.out;
  nlohmann::json result;
  train::PluginError error;
  if (!train::LoadTorchPlugin().export_run(o, &result, &error)) train::Rethrow(error);
  std::cerr << "mer export: " << result["model"].get<std::string>() << " (" << result["parameters"] << " values in "
            << result["tensors"] << " tensors) -> " << a.out << "\n";
  return kExitOk;
}

struct PredictArgs {
  std::vector<std::string> runs;  // several: an ensemble
  std::string device = "auto";
  std::vector<std::string> files;
  double hop = 0;
  bool json = false;
  std::string plot;
  CatalogueArgs catalogue;  // --list mode
  std::string tags;         // --tags MODEL: a pretrained tagger instead of a run
  int top = 3;
};

// --plot for input `index` of `count`: one file: as given; several: FILE-1.svg, FILE-2.svg, ...
std::filesystem::path PlotPath(const std::string& plot, std::size_t index, std::size_t count) {
  std::filesystem::path path = plot;
  if (count > 1) path.replace_filename(path.stem().string() + "-" + std::to_string(index + 1) + path.extension().string());
  return path;
}

int RunPredict(const PredictArgs& a) {
  if (!a.tags.empty()) {
    if (!a.runs.empty() || !a.catalogue.list.empty() || !a.plot.empty() || a.hop != 0) {
      throw ConfigError("--tags MODEL tags audio files with a pretrained network: no --run, --list, --plot or --hop");
    }
    return RunTags(a.tags, a.files, a.top, a.json, a.device == "auto" ? "cpu" : a.device);
  }
  if (a.runs.empty()) throw ConfigError("mer predict needs --run DIR (a trained run), or --tags MODEL (a pretrained tagger)");
  if (!a.catalogue.list.empty()) {
    if (!a.files.empty() || a.json || !a.plot.empty()) {
      throw ConfigError("--list takes the files from the list and writes --out: no audio arguments, --json or --plot");
    }
    CatalogueArgs c = a.catalogue;
    c.runs = a.runs;
    c.device = a.device;
    c.hop = a.hop;
    return RunPredictCatalogue(c);
  }
  if (a.files.empty()) throw ConfigError("mer predict needs audio files, or --list FILES.txt --out RESULTS.jsonl");
  if (!a.catalogue.out.empty() || !a.catalogue.shard.empty()) throw ConfigError("--out and --shard go with --list");
  if (!a.plot.empty()) {  // the plot files (FILE-1.svg, ... for several inputs) must not be an input
    auto inputs = RunFolderInputs(a.runs);
    for (const auto& f : a.files) inputs.emplace_back(f, "an audio input");
    for (std::size_t i = 0; i < a.files.size(); ++i) RefuseOutputOverInput(PlotPath(a.plot, i, a.files.size()), "--plot", inputs);
    // With several songs --plot names a pattern (NAME-1.svg, ...): a device or folder there (--plot /dev/null) would
    // have made /dev/null-1, /dev/null-2.
    std::error_code ec;
    const auto status = std::filesystem::status(a.plot, ec);
    if (a.files.size() > 1 && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
      throw ConfigError("--plot " + a.plot + " is not a regular file: with several songs it names the files " +
                        PlotPath(a.plot, 0, a.files.size()).string() + ", ...; give a file name");
    }
  }
  train::PredictOptions o;
  o.files.assign(a.files.begin(), a.files.end());
  o.hop_seconds = a.hop;
  o.device = a.device;
  const std::vector<std::filesystem::path> runs(a.runs.begin(), a.runs.end());
  // LibTorch loads on one thread while the files are decoded and turned into log-mels on the others.
  auto plugin = train::LoadTorchPluginAsync();
  const auto inputs = train::PredictInputs(train::EnsembleInputs(runs), o.files, DefaultThreadCount());
  const std::vector<train::TrackPrediction> predictions = train::PredictEnsemble(*plugin.get(), o, runs, inputs);
  int failed = 0;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& p : predictions) {
    if (!p.error.empty()) {
      std::cerr << "mer: error: " << p.error << "\n";
      ++failed;
      if (a.json) all.push_back({{"file", Utf8Escaped(p.file.string())}, {"error", Utf8Escaped(p.error)}});
      continue;
    }
    if (!a.plot.empty()) {  // a plot that cannot be written is that song's error; its result is still printed
      try {
        WriteEmotionCurve(p, PlotPath(a.plot, static_cast<std::size_t>(&p - predictions.data()), a.files.size()));
      } catch (const Error& e) {
        std::cerr << "mer: error: " << e.what() << "\n";
        ++failed;
      }
    }
    // Classification: the most probable class, of the track (mean of the windows' probabilities) and per window.
    if (a.json) {
      nlohmann::json track = nlohmann::json::object(), curve = nlohmann::json::array();
      for (std::size_t k = 0; k < p.names.size(); ++k) track[p.names[k]] = p.track[k];
      for (std::size_t w = 0; w < p.curve.size(); ++w) {
        nlohmann::json point = {{"time", p.times[w]}};
        for (std::size_t k = 0; k < p.names.size(); ++k) point[p.names[k]] = p.curve[w][k];
        if (p.classification) point["class"] = p.MostProbable(p.curve[w]);
        curve.push_back(point);
      }
      nlohmann::json song = {{"file", Utf8Escaped(p.file.string())}, {"track", track}, {"curve", curve}};
      if (p.classification) song["class"] = p.MostProbable(p.track);
      all.push_back(song);
    } else {
      std::cout << p.file.string() << ":";
      if (p.classification) std::cout << " class " << p.MostProbable(p.track) << ";";
      for (std::size_t k = 0; k < p.names.size() && k < 8; ++k) {
        char buffer[96];
        std::snprintf(buffer, sizeof(buffer), " %s %.3f", p.names[k].c_str(), p.track[k]);
        std::cout << buffer;
      }
      if (p.names.size() > 8) std::cout << " ... (--json lists all " << p.names.size() << ")";
      std::cout << "  [" << p.curve.size() << " windows]\n";
    }
  }
  if (a.json) std::cout << all.dump(2) << "\n";
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

std::vector<Command> AddRunCommands(CLI::App& parent) {
  auto t = std::make_shared<TrainArgs>();
  CLI::App* train = parent.add_subcommand("train", "Train a model from a JSON run config");
  train->add_option("--config", t->config, "Run config (data, frontend, model, train)")->required();
  train->add_option("--set", t->overrides, "Override a key, e.g. --set train.epochs=5")->allow_extra_args(false);
  train->add_option("--out", t->out, "Run folder (default runs/<config name>)");
  train->add_option("--device", t->device, "cpu, cuda or auto (default)");
  train->add_flag("--resume", t->resume, "Continue the run in --out from its last.pt");
  train->add_option("--nproc", t->nproc, "Data-parallel ranks to start on this machine (c10d Gloo; batch_size is per rank)")
      ->check(CLI::Range(1, 256));
  train->add_option("--dist-timeout", t->dist_timeout,
                    "Seconds a rank waits for the others (rendezvous, all-reduce) before it stops with an error")
      ->check(CLI::Range(1, 86400));

  auto e = std::make_shared<EvalArgs>();
  CLI::App* eval = parent.add_subcommand("eval", "Track-level metrics of a run on its held-out split");
  eval->add_option("--run", e->runs, "Run folder; repeated: an ensemble, scored on the mean of the runs' outputs")
      ->required()
      ->allow_extra_args(false);
  eval->add_option("--split", e->split, "test (default), val or train");
  eval->add_flag("--json", e->json, "Print JSON");
  eval->add_option("--predictions", e->predictions, "Write id,true_*,pred_* rows to this CSV");
  eval->add_option("--device", e->device, "cpu, cuda or auto (default)");
  eval->add_option("--data-root", e->data_root, "Where the run's dataset is now, if it moved since training");
  eval->add_option("--plots", e->plots,
                   "Write loss.svg, validation.svg and scatter.svg (predicted vs true; confusion.svg for classes) here");

  auto p = std::make_shared<PredictArgs>();
  CLI::App* predict = parent.add_subcommand("predict", "Valence/arousal, tags or quadrants of audio files");
  predict->add_option("--run", p->runs, "Run folder; repeated: an ensemble, the mean of the runs' outputs")
      ->allow_extra_args(false);
  predict->add_option("--tags", p->tags, "Instead of a run: the top tags of a pretrained tagger (msd_musicnn, mtt_vgg, ...)");
  predict->add_option("--top", p->top, "With --tags: how many tags (default 3, as the authors' tagger)");
  predict->add_option("audio", p->files, "Audio files");
  predict->add_option("--list", p->catalogue.list,
                      "A catalogue: a text file of audio paths, one per line (blank lines and # comments skipped)");
  predict->add_option("--out", p->catalogue.out,
                      "With --list: append one JSON line per song here; songs already in it are skipped (resumable)");
  predict->add_option("--shard", p->catalogue.shard, "With --list: score only the songs i with i mod N = I (I/N)");
  predict->add_option("--chunk", p->catalogue.chunk, "With --list: songs decoded and scored together (default 64)");
  predict->add_flag("--json", p->json, "Print JSON with the per-window curve");
  predict->add_option("--hop", p->hop, "Seconds between windows (default: half a window)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            try {
              std::size_t used = 0;
              const double v = std::stod(text, &used);
              if (used == text.size() && std::isfinite(v) && v > 0 && v <= 3600) return "";
            } catch (const std::exception&) {
            }
            return "expected seconds > 0 (at most 3600), got " + text;
          },
          "SECONDS"));
  predict->add_option("--device", p->device, "cpu, cuda or auto (default)");
  predict->add_option("--plot", p->plot, "Write the emotion curve over time as SVG (several files: FILE-1.svg, ...)");

  auto x = std::make_shared<ExportArgs>();
  CLI::App* exp = parent.add_subcommand("export", "Write a run's best checkpoint as a file torch.load reads (python/mer_torch)");
  exp->add_option("--run", x->run, "Run folder")->required();
  exp->add_option("--out", x->out, "Output file, e.g. model.pt")->required();

  return {{train, [t] { return RunTrain(*t); }}, {eval, [e] { return RunEval(*e); }},
          {predict, [p] { return RunPredict(*p); }}, {exp, [x] { return RunExport(*x); }}};
}

}  // namespace mer::cli
