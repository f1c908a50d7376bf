// mer data check --dataset NAME --root DIR [--json] [--cross-check DIR] [--set data.KEY=VALUE]...
// mer data synth --dataset NAME --out DIR [--songs N] [--seed S] [--seconds S] [--threads N]
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.h"
#include "mer/core/config.h"
#include "mer/core/error.h"
#include "mer/core/parallel.h"
#include "mer/core/strings.h"
#include "mer/data/check.h"
#include "mer/data/data_config.h"
#include "mer/data/registry.h"
#include "mer/data/synth.h"

namespace mer::cli {
namespace {

struct CheckOptions {
  std::string dataset, root, cross_check;
  std::vector<std::string> overrides;
  bool json = false;
};

std::string Num(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3f", v.get<double>());
  return buffer;
}

void PrintText(const nlohmann::ordered_json& r) {
  std::cout << "dataset      " << r["dataset"].get<std::string>() << " (" << r["task"].get<std::string>() << ", scale "
            << Num(r["scale"][0]) << " .. " << Num(r["scale"][1]) << ") at " << r["root"].get<std::string>() << "\n";
  std::cout << "annotated    " << r["annotated"] << " items";
  if (r["skipped_unlabeled"].get<std::size_t>() > 0) std::cout << " (" << r["skipped_unlabeled"] << " without labels skipped)";
  std::cout << "\naudio        " << r["with_audio"] << " found, " << r["missing_audio"] << " missing";
  if (!r["missing_audio_examples"].empty()) {
    std::cout << " (first: ";
    for (std::size_t i = 0; i < r["missing_audio_examples"].size(); ++i) {
      std::cout << (i ? ", " : "") << r["missing_audio_examples"][i].get<std::string>();
    }
    std::cout << ")";
  }
  std::cout << "\ndynamic      " << r["with_dynamic"] << " items with curves\n";
  if (r.contains("quadrants")) {
    std::cout << "quadrants    Q1 " << r["quadrants"]["Q1"] << ", Q2 " << r["quadrants"]["Q2"] << ", Q3 "
              << r["quadrants"]["Q3"] << ", Q4 " << r["quadrants"]["Q4"] << "\n";
  }
  if (r.contains("classes")) {
    std::cout << "classes     ";
    for (auto it = r["classes"].begin(); it != r["classes"].end(); ++it) {
      std::cout << " " << it.key() << " " << (*it)["items"] << " (" << (*it)["with_audio"] << " with audio)";
    }
    std::cout << "\n";
  }
  const auto& labels = r["labels"];
  const bool many = labels.size() > 8;
  std::cout << "labels       " << labels.size() << (many ? " (first 8 shown; --json lists all)" : "") << "\n";
  std::size_t shown = 0;
  for (auto it = labels.begin(); it != labels.end() && shown < 8; ++it, ++shown) {
    std::printf("  %-40s min %8s  max %8s  mean %8s  std %8s", it.key().c_str(), Num((*it)["min"]).c_str(),
                Num((*it)["max"]).c_str(), Num((*it)["mean"]).c_str(), Num((*it)["std"]).c_str());
    if (it->contains("positives")) std::printf("  positives %zu", (*it)["positives"].get<std::size_t>());
    std::printf("\n");
  }
  std::fflush(stdout);
  if (!r["splits"].is_null()) {
    std::cout << "split        " << r["splits"]["method"].get<std::string>() << "\n";
    for (const char* part : {"train", "val", "test"}) {
      const auto& p = r["splits"][part];
      std::cout << "  " << part << std::string(6 - std::string(part).size(), ' ') << p["count"] << " items";
      std::size_t n = 0;
      for (auto it = p["labels"].begin(); it != p["labels"].end() && n < 2; ++it, ++n) {
        std::cout << "; " << it.key() << " " << Num((*it)["mean"]) << " +- " << Num((*it)["std"]);
      }
      std::cout << "\n";
    }
  }
  for (const auto& w : r["warnings"]) std::cout << "warning: " << w.get<std::string>() << "\n";
  for (const auto& n : r["notes"]) std::cout << "note: " << n.get<std::string>() << "\n";
}

int RunCheck(const CheckOptions& o) {
  config::Json data = {{"dataset", o.dataset}, {"root", o.root}};
  if (!o.cross_check.empty()) data["cross_check_root"] = o.cross_check;
  config::Json run = {{"data", data}};
  for (const auto& assignment : o.overrides) {
    if (assignment.rfind("data.", 0) != 0) throw ConfigError("--set " + assignment + ": mer data check only takes data.KEY=VALUE");
  }
  config::ApplyOverrides(run, o.overrides);
  const data::DataConfig config = data::ParseDataConfig(run["data"]);
  const data::Corpus corpus = config.LoadCorpus();
  const nlohmann::ordered_json report = data::CheckCorpus(corpus, config.split);
  if (o.json) {
    std::cout << report.dump(2) << "\n";
  } else {
    PrintText(report);
  }
  return kExitOk;
}

struct SynthOptions {
  std::string dataset, out;
  int songs = 40;
  uint64_t seed = 1;
  double seconds = 30.0;
  int threads = DefaultThreadCount();
};

int RunSynth(const SynthOptions& o) {
  data::SynthConfig config;
  config.dataset = o.dataset;
  config.songs = o.songs;
  config.seed = o.seed;
  config.seconds = o.seconds;
  config.threads = o.threads;
  const data::SynthSummary summary = data::SynthesizeCorpus(config, o.out);
  std::cout << "wrote " << summary.songs << " songs (" << summary.audio_files << " audio files, "
            << summary.annotation_files << " annotation files) of a synthetic " << o.dataset << " corpus to " << o.out
            << "\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> AddDataCommands(CLI::App& parent) {
  CLI::App* data = parent.add_subcommand("data", "Dataset tools: check annotation files, synthesise corpora");
  data->require_subcommand(1);

  auto check = std::make_shared<CheckOptions>();
  CLI::App* c = data->add_subcommand("check", "Parse a dataset and report counts, audio, label statistics, warnings");
  data::RegisterBuiltinDatasets();  // the help lists what is registered (a hand-kept list had gone stale)
  c->add_option("--dataset", check->dataset, "Dataset name (" + Joined(data::RegisteredDatasets()) + ")")->required();
  c->add_option("--root", check->root, "The dataset's folder")->required();
  c->add_flag("--json", check->json, "Print the report as JSON");
  c->add_option("--cross-check", check->cross_check,
                "deam: a 1000 Songs root to compare labels with; emomusic: a DEAM root");
  c->add_option("--set", check->overrides, "Override a data key, e.g. --set data.va_columns=as_named")
      ->allow_extra_args(false);

  auto synth = std::make_shared<SynthOptions>();
  CLI::App* s = data->add_subcommand("synth", "Write a synthetic corpus in a dataset's real layout");
  s->add_option("--dataset", synth->dataset, "Dataset layout to write")->required();
  s->add_option("--out", synth->out, "Output folder (created; must be empty or absent)")->required();
  s->add_option("--songs", synth->songs, "Number of songs (default 40)");
  s->add_option("--seed", synth->seed, "Seed (default 1): the same seed gives the same corpus");
  s->add_option("--seconds", synth->seconds, "Length of each song in seconds (default 30)");
  s->add_option("--threads", synth->threads, "Worker threads (default: all cores)");

  return {{c, [check] { return RunCheck(*check); }}, {s, [synth] { return RunSynth(*synth); }}};
}

}  // namespace mer::cli
