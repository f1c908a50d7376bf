// mer train: the training loop, run folder, checkpoints, early stopping, interruption and resumption.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "checkpoint.h"
#include "distributed.h"
#include "inference.h"
#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/core/parallel.h"
#include "mer/data/data_loader.h"
#include "mer/train/api.h"
#include "mer/train/run_folder.h"
#include "pretrained_features.h"
#include "task.h"

namespace mer::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<int> g_signal{0};
void OnSignal(int signal) { g_signal = signal; }

// Installs SIGINT/SIGTERM handlers for the lifetime of the object and restores the previous ones after.
class SignalGuard {
 public:
  SignalGuard() {
    g_signal = 0;
    struct sigaction action {};
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// SpecAugment on a log-mel example, masks filled with its mean (what standardisation maps to about 0).
void SpecAugmentWithMean(data::Example* e, const data::AugmentConfig& augment, std::mt19937_64* rng) {
  double mean = 0;
  for (float v : e->features) mean += v;
  mean /= std::max<std::size_t>(1, e->features.size());
  data::SpecAugment(&e->features, e->n_mels, e->frames, augment, rng, static_cast<float>(mean));
}

uint64_t Mix(uint64_t a, uint64_t b) {
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 29);
}

// One parameter group at train.lr; with fine-tuned pretrained networks a second one, their weights, at
// frontend.pretrained.lr.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainConfig& t, const PretrainedFrontendConfig& pretrained,
                                                       models::EmotionModel& model) {
  std::vector<torch::Tensor> own = model.parameters(), networks;
  if (auto* wrapper = dynamic_cast<models::WithPretrainedNetworks*>(&model)) {
    networks = wrapper->NetworkParameters();
    own.erase(std::remove_if(own.begin(), own.end(),
                             [&](const torch::Tensor& p) {
                               return std::any_of(networks.begin(), networks.end(),
                                                  [&](const torch::Tensor& n) { return n.is_same(p); });
                             }),
              own.end());
  }
  const auto groups = [&](auto options) {
    std::vector<torch::optim::OptimizerParamGroup> g;
    g.emplace_back(own, std::make_unique<decltype(options)>(options));
    if (!networks.empty()) {
      auto scaled = options;
      scaled.lr(pretrained.lr);
      g.emplace_back(networks, std::make_unique<decltype(options)>(scaled));
    }
    return g;
  };
  if (t.optimizer == "adam") {
    const auto o = torch::optim::AdamOptions(t.lr).weight_decay(t.weight_decay);
    return std::make_unique<torch::optim::Adam>(groups(o), o);
  }
  if (t.optimizer == "adamw") {
    const auto o = torch::optim::AdamWOptions(t.lr).weight_decay(t.weight_decay);
    return std::make_unique<torch::optim::AdamW>(groups(o), o);
  }
  const auto o = torch::optim::SGDOptions(t.lr).momentum(t.momentum).weight_decay(t.weight_decay);
  return std::make_unique<torch::optim::SGD>(groups(o), o);
}

double LearningRate(const TrainConfig& t, int epoch) {
  if (t.schedule == "step") return t.lr * std::pow(t.gamma, epoch / t.step_size);
  if (t.schedule == "cosine") return 0.5 * t.lr * (1 + std::cos(M_PI * epoch / t.epochs));
  return t.lr;
}

// The schedule's learning rate for the first group; a second group (fine-tuned networks) gets frontend.pretrained.lr
// scaled by the same factor.
void SetLearningRate(torch::optim::Optimizer& optimizer, double lr, const TrainConfig& t,
                     const PretrainedFrontendConfig& pretrained) {
  auto& groups = optimizer.param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(g == 0 ? lr : pretrained.lr * lr / t.lr);
}

std::string Duration(double seconds) {
  char buffer[32];
  const int s = static_cast<int>(seconds);
  std::snprintf(buffer, sizeof(buffer), "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return buffer;
}

void AppendLine(const fs::path& path, const std::string& line) { AppendToFile(path, line + "\n"); }

// The log gains an epoch's line before that epoch's checkpoints are written, so a run stopped between the two
// (a full disk, a kill) has log lines beyond last.pt. On resume they are dropped: those epochs run again and log
// once.
void TrimLogToEpoch(const fs::path& path, int epochs_done) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(path, ec);
  if (!fs::exists(status)) return;
  if (!fs::is_regular_file(status)) {  // a planted link or FIFO: neither followed nor read
    throw OutputError(path.string() + ": is not a regular file (a link, FIFO, device or folder); mer only appends to "
                      "regular files: remove it to resume");
  }
  std::istringstream in(ReadFile(path));
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("epoch") && j["epoch"].is_number() && j["epoch"].get<double>() > epochs_done) continue;
    kept += line + "\n";
  }
  WriteFileAtomically(path, kept);
}

// Decodes every item's audio into the cache (threads in parallel; with several ranks each decodes its share and
// they agree on the failures); items whose audio fails are reported on stderr by rank 0 (the first five by message),
// removed, and counted.
std::size_t DropUndecodable(data::Corpus* corpus, const data::FeatureCache& cache, int threads, Communicator& comm) {
  const std::size_t n = corpus->items.size();
  std::vector<std::string> errors(n);
  const auto decode = [&](std::size_t i) {
    try {
      cache.Share(corpus->items[i].audio);
    } catch (const Error& e) {
      errors[i] = e.what();
    }
  };
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  const std::vector<std::size_t> mine = RankSlice(all, comm.rank(), comm.world());
  ParallelFor(mine.size(), threads, [&](std::size_t k) { decode(mine[k]); });
  std::vector<double> failures(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) failures[i] = errors[i].empty() ? 0.0 : 1.0;
  failures = comm.Sum(std::move(failures));
  std::vector<data::Item> kept;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (failures[i] == 0.0) {
      kept.push_back(std::move(corpus->items[i]));
      continue;
    }
    if (errors[i].empty() && comm.rank() == 0 && failed < 5) decode(i);  // another rank's failure: its message
    if (failed++ < 5 && comm.rank() == 0) std::cerr << "mer train: left out " << corpus->items[i].id << ": " << errors[i] << "\n";
  }
  if (failed > 5 && comm.rank() == 0) std::cerr << "mer train: ... and " << failed - 5 << " more clips that failed to decode\n";
  corpus->items = std::move(kept);
  return failed;
}

// Every rank's scored validation rows (truth and prediction; ids and times are not needed for the metrics), rank
// 0's first, on every rank.
void GatherScored(Communicator& comm, Scored* scored) {
  const bool any = !scored->truth.empty();
  const std::vector<double> widths = comm.Sum({any ? static_cast<double>(scored->truth[0].size()) : 0.0,
                                               any ? static_cast<double>(scored->predicted[0].size()) : 0.0,
                                               any ? 1.0 : 0.0});
  if (widths[2] == 0) return;
  const auto truth_width = static_cast<std::size_t>(widths[0] / widths[2]);
  const auto predicted_width = static_cast<std::size_t>(widths[1] / widths[2]);
  std::vector<std::vector<double>> rows;
  for (std::size_t i = 0; i < scored->truth.size(); ++i) {
    std::vector<double> row(scored->truth[i].begin(), scored->truth[i].end());
    row.insert(row.end(), scored->predicted[i].begin(), scored->predicted[i].end());
    rows.push_back(std::move(row));
  }
  rows = comm.Gather(rows, truth_width + predicted_width);
  *scored = Scored{};
  for (const auto& row : rows) {
    scored->truth.emplace_back(row.begin(), row.begin() + static_cast<long>(truth_width));
    scored->predicted.emplace_back(row.begin() + static_cast<long>(truth_width), row.end());
  }
}

// The run folder's lock (created with the folder for a new run); none when the folder is not there to hold it
// (CheckRunFolder then names the problem).
std::unique_ptr<FileLock> LockRunFolder(const RunFolder& folder, bool resume) {
  std::error_code ec;
  if (!resume) fs::create_directories(folder.dir(), ec);
  if (!fs::is_directory(folder.dir(), ec)) return nullptr;
  return std::make_unique<FileLock>(folder.LockFile(), "--out " + folder.dir().string());
}

// Refuses an --out that is not new, empty, or a mer run (see the README's "Train, evaluate, predict").
void CheckRunFolder(const RunFolder& folder, bool resume) {
  const fs::path& run = folder.dir();
  std::error_code ec;
  const bool has_checkpoint = fs::exists(folder.LastCheckpoint(), ec) || fs::exists(folder.BestCheckpoint(), ec);
  if (resume && !fs::exists(folder.LastCheckpoint(), ec)) {
    throw ConfigError("--resume: " + folder.LastCheckpoint().string() + " not found");
  }
  if (!resume && has_checkpoint) {
    throw ConfigError("--out " + run.string() + " already holds a run; use --resume to continue it or another --out");
  }
  // A run folder is new, empty, or holds only what mer (and scripts/sweep.sh) write there: a folder of the user's
  // own files is never written into, whatever its files are called. With --resume the folder is a run (last.pt
  // checked above); files the user added beside it are left alone.
  if (resume) return;
  if (fs::is_directory(run, ec)) {
    // What may be there before a run starts: the lock (taken just now), what scripts/sweep.sh writes before it
    // calls mer (sweep.json, train.out), and mer's temporary files (an own name + ".tmp-"). Anything else of mer's
    // (metrics.json, best.pt, ...) counts only beside mer's marks, config.json and labels.json: a folder holding
    // the user's own metrics.json is not a run (issue 32, item 11).
    static const std::set<std::string> kBeforeARun = {"mer.lock", "sweep.json", "train.out"};
    const bool marked = fs::exists(folder.ConfigFile(), ec) && fs::exists(folder.LabelsFile(), ec);
    for (const auto& entry : fs::directory_iterator(run, ec)) {
      const std::string name = entry.path().filename().string();
      const auto tmp = name.find(".tmp-");
      const std::string own = tmp == std::string::npos ? name : name.substr(0, tmp);
      if (!RunFolder::OwnFileNames().count(own)) {
        throw ConfigError("--out " + run.string() + ": the folder holds files that are not a mer run's (" + name +
                          "); nothing is written there: use a new or empty folder");
      }
      if (marked || kBeforeARun.count(own) || tmp != std::string::npos || own == "config.json") continue;
      throw ConfigError("--out " + run.string() + ": its " + name + " is not a mer run's (no config.json and " +
                        "labels.json beside it); nothing is written there: use a new or empty folder");
    }
    if (fs::exists(folder.ConfigFile(), ec) && !fs::exists(folder.LabelsFile(), ec)) {  // e.g. the user's --config
      throw ConfigError("--out " + run.string() + ": its config.json is not a mer run's (no labels.json beside it); "
                        "nothing is written there: use a new or empty folder");
    }
  } else if (fs::exists(run, ec)) {
    throw ConfigError("--out " + run.string() + ": exists and is not a folder");
  }
}

// train.threads, else $OMP_NUM_THREADS when set (several trainings sharing a machine), else every core.
void SetThreads(const TrainConfig& train) {
  const char* omp_threads = std::getenv("OMP_NUM_THREADS");
  const int env_threads = omp_threads ? std::atoi(omp_threads) : 0;
  torch::set_num_threads(train.threads > 0 ? train.threads
                         : env_threads > 0 ? env_threads
                                           : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

// Where training stands: what a checkpoint's meta carries besides the run's description.
struct Progress {
  int epoch = 0;
  int64_t step_in_epoch = 0;  // on resume: steps of `epoch` already taken
  int64_t global_step = 0;
  double best = -INFINITY;
  int best_epoch = -1, stale = 0;
};

// One training run in phases: process set-up, data, model, run folder, input pipeline, epochs (steps, validation,
// checkpoints), final report. Every rank runs all of it; rank 0 alone writes.
class Trainer {
 public:
  Trainer(const RunConfig& config, const TrainOptions& options)
      : config_(config), options_(options), folder_(options.out_dir), augment_(config.augment) {}

  int Run() {
    // Rank 0 locks the folder for the run's life before checking it, so two runs (or a --resume of a running one)
    // cannot both pass the check and interleave their files: the second is refused in one line naming the first.
    if (ReadDistEnv().rank == 0) lock_ = LockRunFolder(folder_, options_.resume);
    CheckRunFolder(folder_, options_.resume);
    SetUpProcess();
    PrepareData();
    BuildModel();
    StartOrResume();
    BuildInputPipeline();
    SignalGuard signals;
    for (; progress_.epoch < config_.train.epochs && !capped_; ++progress_.epoch) {
      const std::optional<int> interrupted = RunEpoch();
      if (interrupted) return *interrupted;
      if (EndEpoch()) {
        ++progress_.epoch;
        break;
      }
    }
    if (!lead_) return 0;  // rank 0 scores the best checkpoint and writes the report
    std::error_code ec;
    if (!fs::exists(folder_.BestCheckpoint(), ec)) Save(folder_.BestCheckpoint(), progress_.epoch, 0);
    WriteReport();
    return 0;
  }

 private:
  // Device, threads and ranks (torchrun, srun, `mer train --nproc`): each GPU rank on its LOCAL_RANK's device.
  void SetUpProcess() {
    dist_env_ = ReadDistEnv();
    device_ = ResolveDevice(options_.device);
    if (device_.is_cuda() && dist_env_.world > 1) {
      const int devices = std::max(1, static_cast<int>(torch::cuda::device_count()));
      device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(dist_env_.local_rank % devices));
    }
    SetThreads(config_.train);
    // Every rank has checked the folder before the rendezvous, so before rank 0 writes into it.
    comm_ = Communicator::Connect(dist_env_, std::chrono::seconds(options_.dist_timeout_seconds));
    rank_ = comm_->rank();
    world_ = comm_->world();
    lead_ = rank_ == 0;
    // Per-rank randomness (dropout, masks, mixup) differs between ranks; with one rank the seeds are as ever.
    rank_salt_ = world_ > 1 ? Mix(0x72616e6b, static_cast<uint64_t>(rank_)) : 0;
    std::error_code ec;
    if (lead_) fs::create_directories(folder_.dir(), ec);
    if (ec) throw OutputError(folder_.dir().string() + ": cannot create the run folder: " + ec.message());
  }

  // Labelled items with readable audio, the task, the split, and label and input normalisation fitted on the
  // training part only.
  void PrepareData() {
    corpus_ = WithAudio(config_.data.LoadCorpus(), &missing_);
    task_ = ResolveTask(config_.model.task, config_.train.monitor, corpus_.schema);
    if (task_.IsDynamic()) {  // only items with curves can be scored per window
      corpus_.items.erase(std::remove_if(corpus_.items.begin(), corpus_.items.end(),
                                         [](const data::Item& item) { return !item.dynamic.has_value(); }),
                          corpus_.items.end());
      if (corpus_.items.empty()) {
        throw ConfigError("model.task = \"dynamic\" is invalid: no item of " + corpus_.dataset +
                          " has valence/arousal curves");
      }
    }
    // Inputs: the cached log-mel, or the waveform for raw-audio models and the learnable frontend.
    waveform_ = config_.WaveformInput();
    crop_ = config_.CropLength();  // loader columns per model input: frames or samples
    // frontend.pretrained: the frozen networks' layers, or (fine-tuned) their log-mel while the frozen layers give the
    // rows' statistics; either way the weight files are loaded and checked before any decoding.
    const std::shared_ptr<const data::FeatureTransform> pretrained = PretrainedTransform(config_.pretrained);
    cache_ = waveform_ ? std::make_unique<data::FeatureCache>(config_.data.EffectiveCacheDir(), config_.frontend,
                                                              std::size_t{512} << 20, data::FeatureKind::kWaveform)
                       : std::make_unique<data::FeatureCache>(config_.data.EffectiveCacheDir(), config_.frontend,
                                                              std::size_t{512} << 20,
                                                              config_.pretrained.fine_tune ? nullptr : pretrained);
    // Every clip decoded (and cached) before the split: clips that fail are reported, counted and left out, so one
    // bad file in a real collection does not end a run. (Nothing is re-decoded later: the cache holds them.)
    undecodable_ = DropUndecodable(&corpus_, *cache_, std::max(1, torch::get_num_threads()), *comm_);
    if (corpus_.items.size() < 3) {
      throw InputError(config_.data.root.string() + ": only " + std::to_string(corpus_.items.size()) +
                       " labelled items have readable audio; nothing to train on");
    }
    split_ = data::MakeSplit(corpus_, config_.data.split);
    normalizer_ = task_.FitNormalizer(corpus_, split_.train);
    // Input standardisation fitted on the training items: per mel band, or one scale for a raw waveform. The
    // learnable frontend standardises inside the model with the fixed log-mel's per-band statistics.
    if (config_.learnable.enabled) {
      const data::FeatureCache mel_cache(config_.data.EffectiveCacheDir(), config_.frontend);
      band_norm_ = FeatureNorm::Fit(
          split_.train, [&](std::size_t i) { return mel_cache.Get(corpus_.items[i].audio); }, config_.frontend.n_mels);
    } else if (config_.pretrained.fine_tune) {  // the networks' inputs are their own log-mel, as it is
      const data::FeatureCache frozen(config_.data.EffectiveCacheDir(), config_.frontend, 0, pretrained);
      band_norm_ = FeatureNorm::Fit(
          split_.train, [&](std::size_t i) { return frozen.Get(corpus_.items[i].audio); }, config_.InputRows());
    } else {
      feature_norm_ = FeatureNorm::Fit(
          split_.train, [&](std::size_t i) { return cache_->Get(corpus_.items[i].audio); },
          waveform_ ? 1 : config_.InputRows(), config_.pretrained.enabled() ? config_.InputRows() : config_.frontend.n_mels);
    }
  }

  models::ModelSpec Spec() const {
    const bool raw = IsRawAudioModel(config_.model.name);
    models::ModelSpec spec;
    // raw_cnn counts its window in samples; behind the learnable frontend it reads that window's log-mel frames.
    spec.n_mels = raw && !config_.learnable.enabled ? 1 : config_.InputRows();
    spec.frames = !raw ? config_.model.input_frames
                       : config_.learnable.enabled ? FramesForSamples(config_.frontend, crop_) : crop_;
    spec.learnable_frontend = config_.learnable.enabled;
    spec.train_stft = config_.learnable.train_stft;
    spec.train_mel = config_.learnable.train_mel;
    spec.frontend = config_.frontend;
    if (config_.pretrained.fine_tune) spec.pretrained_layers = config_.pretrained.layers;
    spec.outputs = static_cast<int>(task_.outputs.size());
    spec.dropout = config_.model.dropout;
    spec.task = task_.task;
    static_cast<models::ModelOptions&>(spec) = config_.model;  // every model option, as declared
    if (task_.IsDynamic()) {
      spec.curve_steps = CurveStepsFor(static_cast<double>(crop_) / cache_->FramesPerSecond());
    }
    return spec;
  }

  // The model (seeded), its optimiser, and the checkpoint meta that describes the run.
  void BuildModel() {
    const models::ModelSpec spec = Spec();
    torch::manual_seed(config_.train.seed);
    model_ = models::CreateModel(config_.model.name, spec);
    if (auto* learnable = dynamic_cast<models::WithLearnableFrontend*>(model_.get())) {
      learnable->SetBandNorm(band_norm_.mean, band_norm_.std);
    }
    if (auto* networks = dynamic_cast<models::WithPretrainedNetworks*>(model_.get())) {
      networks->SetRowNorm(band_norm_.mean, band_norm_.std);
    }
    model_->to(device_);
    optimizer_ = MakeOptimizer(config_.train, config_.pretrained, *model_);
    meta_ = {{"format_version", kCheckpointFormat},
             {"config", config_.resolved},
             {"model", config_.model.name},
             {"spec", SpecToJson(spec)},
             {"crop", crop_},
             {"task", task_.ToJson()},
             {"normalizer", normalizer_.ToJson()},
             {"feature_norm", feature_norm_.ToJson()},
             {"label_names", corpus_.schema.names},
             {"scale", {corpus_.schema.scale_min, corpus_.schema.scale_max}},
             {"epoch", 0},
             {"step_in_epoch", 0},
             {"global_step", 0},
             {"best_metric", nullptr},
             {"best_epoch", -1},
             {"stale_epochs", 0}};
  }

  // --resume: the model, optimiser and progress of last.pt; else the run folder's first files. Then every rank takes
  // rank 0's weights, and rank 0 says what is about to train.
  void StartOrResume() {
    if (options_.resume) {
      LoadedCheckpoint last = LoadCheckpoint(folder_.LastCheckpoint(), device_);
      if (last.meta.at("config") != config_.resolved) {  // compared with last.pt's own copy, and blamed on it
        throw ConfigError("--resume: the config differs from the one " + folder_.LastCheckpoint().string() +
                          " was trained with (at " + FirstDifference(last.meta.at("config"), config_.resolved) +
                          "); resume with that config or start another --out");
      }
      model_ = last.model;
      model_->train();
      optimizer_ = MakeOptimizer(config_.train, config_.pretrained, *model_);
      LoadOptimizerState(last, optimizer_.get(), folder_.LastCheckpoint());
      meta_ = last.meta;
      if (lead_) TrimLogToEpoch(folder_.LogFile(), meta_.at("epoch").get<int>());
    } else if (lead_) {
      WriteFileAtomically(folder_.ConfigFile(), config_.resolved.dump(2) + "\n");
      const std::string split_text = split_.ToJson(corpus_, config_.data.split).dump(1) + "\n";
      WriteFileAtomically(folder_.SplitFile(), split_text);
      meta_["split_checksum"] = SplitChecksum(split_text);
      const nlohmann::json labels = {
          {"task", task_.ToJson()}, {"normalizer", normalizer_.ToJson()}, {"label_names", corpus_.schema.names}};
      WriteFileAtomically(folder_.LabelsFile(), labels.dump(2) + "\n");
      WriteFileAtomically(folder_.LogFile(), "");  // a new empty file: a planted link is replaced, never followed
    }
    progress_.epoch = meta_["epoch"].get<int>();
    progress_.step_in_epoch = meta_["step_in_epoch"].get<int64_t>();
    progress_.global_step = meta_["global_step"].get<int64_t>();
    progress_.best = meta_["best_metric"].is_null() ? -INFINITY : meta_["best_metric"].get<double>();
    progress_.best_epoch = meta_["best_epoch"].get<int>();
    progress_.stale = meta_["stale_epochs"].get<int>();
    if (world_ > 1) {
      std::vector<torch::Tensor> state = model_->parameters();
      buffers_ = model_->buffers();  // batch-norm statistics: rank 0's before every step, as DDP does
      state.insert(state.end(), buffers_.begin(), buffers_.end());
      comm_->Broadcast(state);
    }
    parameters_ = models::ParameterCount(*model_);
    if (!lead_) return;
    std::cerr << "mer train: " << config_.model.name << " (" << parameters_ << " parameters) on " << corpus_.dataset
              << ", " << task_.task << " of " << task_.outputs.size() << " outputs; " << split_.train.size()
              << " train / " << split_.val.size() << " val / " << split_.test.size() << " test items";
    if (missing_) std::cerr << " (" << missing_ << " without audio left out)";
    if (undecodable_) std::cerr << " (" << undecodable_ << " that failed to decode left out)";
    std::cerr << "; device " << (device_.is_cuda() ? "cuda" : "cpu");
    if (world_ > 1) {
      std::cerr << "; " << world_ << " ranks (" << dist_env_.source << "), batch " << config_.train.batch_size
                << " per rank";
    }
    std::cerr << "\n";
  }

  // The training loader (this rank's share of each epoch) and the augmentation around it. Waveform operations run
  // on waveform crops in the loader threads; a log-mel model then gets the frontend of each augmented crop (its
  // top_db floor is the crop's, not the file's). SpecAugment masks log-mel crops in the loader, or the learnable
  // frontend's output inside the model. mixup is per batch (MakeTrainingBatch).
  void BuildInputPipeline() {
    data::LoaderOptions o;
    o.mode = "train";
    o.batch_size = static_cast<std::size_t>(config_.train.batch_size);
    o.crop_frames = crop_;
    o.workers = config_.train.workers;
    o.seed = config_.train.seed;
    o.rank = rank_;
    o.world = world_;
    train_cache_ = cache_.get();
    InstallAugmentation(&o);
    own_loss_ = model_->HasTrainingLoss();  // only such models read the quadrant of each target
    // Only a recurrent emotion encoder reads each window's curve: other models are not handed (or sampled) one.
    curve_steps_ = model_->Embedding() != nullptr ? model_->Embedding()->CurveSteps() : 0;
    loader_ = std::make_unique<data::DataLoader>(corpus_, split_.train, *train_cache_, o);
    const std::vector<std::size_t>& val = split_.val.empty() ? split_.train : split_.val;
    my_val_ = RankSlice(val, rank_, world_);  // validation sharded, then gathered
    const int64_t eval_hop = std::max<int64_t>(1, std::llround(config_.train.eval_hop * static_cast<double>(crop_)));
    scorer_.emplace(Scorer{corpus_, *cache_, crop_, eval_hop, task_, feature_norm_, normalizer_, device_,
                           config_.train.workers, config_.train.batch_size, config_.train.retrieval_rows == "song"});
    terminal_ = lead_ && options_.progress && ::isatty(STDERR_FILENO);
    const char* interrupt_env = std::getenv("MER_TEST_INTERRUPT_AFTER_STEPS");
    interrupt_after_ = interrupt_env ? std::atoll(interrupt_env) : 0;
    // Test hook: MER_TEST_EXIT_AFTER_STEPS=k ends this process (status 9, nothing saved) after the k-th step, as a
    // rank that dies would.
    const char* exit_env = std::getenv("MER_TEST_EXIT_AFTER_STEPS");
    exit_after_ = exit_env ? std::atoll(exit_env) : 0;
    capped_ = config_.train.max_steps > 0 && progress_.global_step >= config_.train.max_steps;
  }

  // Augmentation, training only (see BuildInputPipeline): the loader's transform, or the learnable frontend's masks.
  void InstallAugmentation(data::LoaderOptions* o) {
    const data::AugmentConfig& augment = augment_;
    if (augment.WaveformOps()) {
      int64_t length = crop_;  // samples the model input needs
      const features::Frontend* frontend = nullptr;
      if (!waveform_) {
        wave_cache_ = std::make_unique<data::FeatureCache>(config_.data.EffectiveCacheDir(), config_.frontend,
                                                           std::size_t{512} << 20, data::FeatureKind::kWaveform);
        train_cache_ = wave_cache_.get();
        length = SamplesForFrames(config_.frontend, config_.model.input_frames);
        frontend = &cache_->frontend();
      }
      o->crop_frames = static_cast<int64_t>(std::ceil(static_cast<double>(length) * (1 + augment.time_stretch)));
      const int sample_rate = config_.frontend.sample_rate;
      o->transform = [&augment, length, sample_rate, frontend](data::Example& e, std::mt19937_64& rng) {
        std::vector<float> x = data::AugmentWaveform(e.features, length, sample_rate, augment, &rng);
        e.frames = length;
        e.features = std::move(x);
        if (frontend == nullptr) return;
        features::Spectrogram s = frontend->Compute(e.features);
        e.n_mels = s.n_mels;
        e.frames = s.frames;
        e.features = std::move(s.values);
        if (augment.SpecOps()) SpecAugmentWithMean(&e, augment, &rng);
      };
    } else if (augment.SpecOps() && !waveform_) {
      o->transform = [&augment](data::Example& e, std::mt19937_64& rng) { SpecAugmentWithMean(&e, augment, &rng); };
    }
    auto* learnable = dynamic_cast<models::WithLearnableFrontend*>(model_.get());
    if (learnable != nullptr && augment.SpecOps()) {
      learnable->train_transform = [&augment, this](torch::Tensor& features) {
        std::mt19937_64 rng(mask_seed_);
        for (int64_t b = 0; b < features.size(0); ++b) {
          const data::SpecMasks masks =
              data::DrawSpecMasks(static_cast<int>(features.size(1)), features.size(2), augment, &rng);
          for (const auto& [start, width] : masks.time) features[b].narrow(1, start, width).fill_(0.0);  // 0 = mean
          for (const auto& [start, width] : masks.freq) features[b].narrow(0, start, width).fill_(0.0);
        }
      };
    }
  }

  uint64_t StepSeed(uint64_t salt) const {
    return Mix(Mix(config_.train.seed ^ rank_salt_, static_cast<uint64_t>(progress_.global_step)), salt);
  }

  // A batch's model input and targets (the curve over each crop for the dynamic task), mixed up when asked.
  models::TrainingBatch MakeTrainingBatch(const data::Batch& batch, bool* mixed) {
    torch::Tensor x = FeaturesTensor(batch.examples, feature_norm_, torch::kCPU);
    std::vector<float> targets;
    std::vector<int64_t> quadrants;
    std::vector<float> curves;  // recurrent emotion encoder: [batch, curve_steps, 2]
    const double crop_seconds = static_cast<double>(crop_) / cache_->FramesPerSecond();
    const double train_frames_per_second = train_cache_->FramesPerSecond();
    for (const auto& e : batch.examples) {
      const data::Item& item = corpus_.items[e.item];
      std::vector<float> labels = item.labels, t;
      if (task_.IsDynamic()) {  // the curve over this crop; a crop before the annotations takes the nearest value
        const double from = item.start_seconds + e.first_frame / train_frames_per_second;
        labels = *CurveMean(item, from, from + crop_seconds, true);
        t = normalizer_.Normalize(labels);
        if (curve_steps_ > 0) {
          const std::vector<float> c = CurveSamples(item, from, from + crop_seconds, curve_steps_, normalizer_);
          curves.insert(curves.end(), c.begin(), c.end());
        }
      } else {
        t = task_.Target(item.labels, normalizer_);
      }
      if (own_loss_ && task_.HasQuadrants()) {
        quadrants.push_back(data::Quadrant(labels[0], labels[1], task_.midpoint));
      }
      targets.insert(targets.end(), t.begin(), t.end());
    }
    const int64_t b = static_cast<int64_t>(batch.examples.size());
    *mixed = augment_.mixup_alpha > 0 && b > 1;
    if (*mixed) {  // inputs and targets (quadrants: one-hot) mixed with the same lambda and partners
      std::mt19937_64 rng(StepSeed(0x6d6978));
      const data::MixupPlan plan = data::MakeMixupPlan(static_cast<std::size_t>(b), augment_.mixup_alpha, &rng);
      data::MixRows(x.data_ptr<float>(), static_cast<std::size_t>(x.numel() / b), plan);
      if (task_.IsClassification()) {
        const int64_t k = static_cast<int64_t>(task_.outputs.size());
        std::vector<float> one_hot(static_cast<std::size_t>(b * k), 0.0f);
        for (int64_t i = 0; i < b; ++i) one_hot[static_cast<std::size_t>(i * k + static_cast<int64_t>(targets[i]))] = 1.0f;
        targets = std::move(one_hot);
      }
      data::MixRows(targets.data(), targets.size() / static_cast<std::size_t>(b), plan);
    }
    models::TrainingBatch training{x.to(device_), {}, {}, {}};
    if (task_.IsClassification() && !*mixed) {
      training.target = torch::tensor(std::vector<int64_t>(targets.begin(), targets.end())).to(device_);
    } else {
      training.target = torch::tensor(targets).reshape({b, -1}).to(device_);
    }
    if (!quadrants.empty()) training.quadrant = torch::tensor(quadrants).to(device_);
    if (!curves.empty()) training.curve = torch::tensor(curves).reshape({b, curve_steps_, 2}).to(device_);
    return training;
  }

  // The task's loss, unless the model brings its own.
  torch::Tensor Loss(const models::TrainingBatch& training, bool mixed) {
    torch::Tensor loss = model_->TrainingLoss(training);
    if (loss.defined()) return loss;
    const torch::Tensor output = model_->forward(training.x);
    if (task_.IsClassification() && mixed) return -(training.target * torch::log_softmax(output, 1)).sum(1).mean();
    if (task_.IsClassification()) return torch::nn::functional::cross_entropy(output, training.target);
    if (task_.IsTagging()) return torch::nn::functional::binary_cross_entropy_with_logits(output, training.target);
    return torch::mse_loss(output, training.target);
  }

  // One optimiser step on a batch (gradients averaged over the ranks); returns its mean loss.
  double Step(const data::Batch& batch) {
    // Dropout draws from torch's generator: seeding it per step makes a resumed run identical. (Seeding costs
    // about 0.4 ms, so it is skipped when nothing random happens in a step.)
    if (config_.model.dropout > 0) {
      torch::manual_seed(Mix(config_.train.seed ^ rank_salt_, static_cast<uint64_t>(progress_.global_step)));
    }
    mask_seed_ = StepSeed(0x6d61736b);
    bool mixed = false;
    const models::TrainingBatch training = MakeTrainingBatch(batch, &mixed);
    if (!buffers_.empty()) comm_->Broadcast(buffers_);
    torch::Tensor loss = Loss(training, mixed);
    optimizer_->zero_grad();
    loss.backward();
    if (world_ > 1) comm_seconds_ += comm_->AverageGradients(model_->parameters());
    if (config_.train.grad_clip > 0) torch::nn::utils::clip_grad_norm_(model_->parameters(), config_.train.grad_clip);
    optimizer_->step();
    ++progress_.global_step;
    return loss.item<double>();
  }

  // SIGINT / SIGTERM on any rank (or the test hooks): the signal every rank stops on at this step, else 0.
  int AgreedSignal() {
    if (interrupt_after_ > 0 && progress_.global_step == interrupt_after_) std::raise(SIGINT);
    if (exit_after_ > 0 && progress_.global_step == exit_after_) std::_Exit(9);
    int signal = g_signal;
    if (world_ > 1) {  // the ranks stop together, at the same step, if any of them was signalled
      const std::vector<double> any = comm_->Sum({signal == SIGINT ? 1.0 : 0.0, signal == SIGTERM ? 1.0 : 0.0});
      signal = any[0] > 0 ? SIGINT : any[1] > 0 ? SIGTERM : 0;
    }
    return signal;
  }

  // The training steps of one epoch; the exit code when interrupted (last.pt saved first).
  std::optional<int> RunEpoch() {
    const int epoch = progress_.epoch;
    lr_ = LearningRate(config_.train, epoch);
    SetLearningRate(*optimizer_, lr_, config_.train, config_.pretrained);
    loader_->StartEpoch(epoch);
    const std::size_t batches = loader_->BatchesPerEpoch();
    model_->train();
    epoch_start_ = Clock::now();
    loss_sum_ = comm_seconds_ = 0;
    samples_ = 0;
    const int64_t skip = progress_.step_in_epoch;
    if (skip > 0 && lead_) {  // the interrupted epoch's loss so far (every rank's, summed when it was saved)
      loss_sum_ = meta_.value("epoch_loss_sum", 0.0);
      samples_ = meta_.value("epoch_samples", int64_t{0});
    }
    int64_t step_in_epoch = 0;
    while (auto batch = loader_->Next()) {
      if (step_in_epoch < skip) {  // resuming inside an epoch: these steps were taken before the interruption
        ++step_in_epoch;
        continue;
      }
      const int64_t b = static_cast<int64_t>(batch->examples.size());
      loss_sum_ += Step(*batch) * b;
      ++step_in_epoch;
      samples_ += b;
      if (terminal_) {
        const double seconds = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
        const double per_step = seconds / std::max<int64_t>(1, step_in_epoch - skip);
        std::fprintf(stderr, "\repoch %d/%d  step %lld/%zu  loss %.4f  %.1f samples/s  ETA %s   ", epoch + 1,
                     config_.train.epochs, static_cast<long long>(step_in_epoch), batches, loss_sum_ / samples_,
                     samples_ / std::max(seconds, 1e-9),
                     Duration(per_step * (static_cast<double>(batches) - step_in_epoch)).c_str());
      }
      if (const int signal = AgreedSignal(); signal != 0) {
        if (terminal_) std::fprintf(stderr, "\n");
        // The epoch's loss so far goes into last.pt, so the resumed epoch logs the loss of all its steps (it logged
        // only those after the interruption, 0 when there were none). Every rank stops here, so all of them sum.
        std::vector<double> partial = {loss_sum_, static_cast<double>(samples_)};
        if (world_ > 1) partial = comm_->Sum(partial);
        meta_["epoch_loss_sum"] = partial[0];
        meta_["epoch_samples"] = static_cast<int64_t>(partial[1]);
        Save(folder_.LastCheckpoint(), epoch, step_in_epoch);
        if (lead_) {
          std::cerr << "mer train: interrupted (" << (signal == SIGINT ? "SIGINT" : "SIGTERM") << "); saved "
                    << (folder_.LastCheckpoint()).string() << ", continue with --resume\n";
        }
        return signal == SIGINT ? 130 : 143;
      }
      if (config_.train.max_steps > 0 && progress_.global_step >= config_.train.max_steps) {
        capped_ = true;
        break;
      }
    }
    progress_.step_in_epoch = 0;
    if (terminal_) std::fprintf(stderr, "\n");
    return std::nullopt;
  }

  // Validation (track-level metrics over sliding windows, each rank scoring its share), the log line, checkpoints
  // and early stopping, decided alike on every rank. Returns whether training stops early.
  bool EndEpoch() {
    const int epoch = progress_.epoch;
    if (world_ > 1) {  // the epoch's loss and samples over every rank
      const std::vector<double> totals = comm_->Sum({loss_sum_, static_cast<double>(samples_)});
      loss_sum_ = totals[0];
      samples_ = static_cast<int64_t>(totals[1]);
    }
    const double train_seconds = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
    Scored scored = scorer_->Score(*model_, my_val_);
    if (world_ > 1) GatherScored(*comm_, &scored);
    const nlohmann::json val_metrics = ComputeMetrics(task_, scored.truth, scored.predicted);
    const double monitored = comm_->BroadcastValue(MonitorValue(task_, val_metrics));  // one decision for all ranks
    const bool improved = monitored > progress_.best;
    // train.keep: last makes best.pt every epoch's model, so the last one stays (early stopping still counts the
    // epochs without a better score).
    const bool keep = improved || config_.train.keep == "last";
    if (improved) {
      progress_.best = monitored;
      progress_.stale = 0;
    } else {
      ++progress_.stale;
    }
    if (keep) progress_.best_epoch = epoch;
    const double seconds = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
    const double loss = samples_ ? loss_sum_ / samples_ : 0.0;
    const double rate = samples_ / std::max(train_seconds, 1e-9);
    nlohmann::json line = {{"epoch", epoch + 1},
                           {"global_step", progress_.global_step},
                           {"train_loss", loss},
                           {"val", val_metrics},
                           {"monitor", task_.monitor},
                           {"monitor_value", std::isfinite(monitored) ? nlohmann::json(monitored) : nlohmann::json(nullptr)},
                           {"lr", lr_},
                           {"seconds", seconds},
                           {"samples_per_second", rate}};
    if (world_ > 1) {
      line["ranks"] = world_;
      line["comm_seconds"] = comm_->Sum({comm_seconds_})[0] / world_;  // gradient all-reduce, mean over the ranks
    }
    if (lead_) {
      AppendLine(folder_.LogFile(), line.dump());
      std::fprintf(stderr, "epoch %d/%d  loss %.4f  val %s %.4f%s  %.1f samples/s  %.1f s\n", epoch + 1,
                   config_.train.epochs, loss, task_.monitor.c_str(), monitored, improved ? " (best)" : "", rate, seconds);
    }
    if (keep) Save(folder_.BestCheckpoint(), epoch + 1, 0);
    Save(folder_.LastCheckpoint(), epoch + 1, 0);
    if (config_.train.patience > 0 && progress_.stale >= config_.train.patience) {
      if (lead_) {
        std::fprintf(stderr, "early stopping: no %s improvement for %d epochs\n", task_.monitor.c_str(), progress_.stale);
      }
      return true;
    }
    return false;
  }

  // A checkpoint of the model, optimiser and progress (rank 0 only).
  void Save(const fs::path& path, int at_epoch, int64_t step_in_epoch) {
    if (!lead_) return;
    meta_["epoch"] = at_epoch;
    meta_["step_in_epoch"] = step_in_epoch;
    meta_["global_step"] = progress_.global_step;
    meta_["best_metric"] = std::isfinite(progress_.best) ? nlohmann::json(progress_.best) : nlohmann::json(nullptr);
    meta_["best_epoch"] = progress_.best_epoch;
    meta_["stale_epochs"] = progress_.stale;
    SaveCheckpoint(path, *model_, optimizer_.get(), meta_);
  }

  // metrics.json: the best checkpoint on validation and test (with retrieval for embedding models).
  void WriteReport() {
    LoadedCheckpoint best = LoadCheckpoint(folder_.BestCheckpoint(), device_);
    nlohmann::json report = {{"model", config_.model.name}, {"parameters", parameters_}, {"dataset", corpus_.dataset},
                             {"task", task_.task}, {"best_epoch", progress_.best_epoch + 1},
                             {"global_step", progress_.global_step}, {"device", device_.is_cuda() ? "cuda" : "cpu"}};
    if (world_ > 1) report["ranks"] = world_;
    std::optional<models::LinearCca> retrieval_cca;  // emb_cl with lambda > 0: fitted once on the training part
    if (auto* embedding = best.model->Embedding(); embedding != nullptr && config_.model.cca_weight > 0) {
      retrieval_cca = scorer_->FitRetrievalCca(*embedding, split_.train);
    }
    for (const char* part : {"val", "test"}) {
      const auto& indices = split_.Part(part);
      if (indices.empty()) continue;
      const Scored scored = scorer_->Score(*best.model, indices);
      report[part] = ComputeMetrics(task_, scored.truth, scored.predicted);
      if (auto* embedding = best.model->Embedding()) {
        report[part]["retrieval"] = scorer_->Retrieval(*embedding, indices, retrieval_cca ? &*retrieval_cca : nullptr,
                                                       config_.model.cca_weight);
      }
    }
    WriteFileAtomically(folder_.MetricsFile(), report.dump(2) + "\n");
    std::cerr << "mer train: done; best epoch " << progress_.best_epoch + 1 << ", metrics in "
              << (folder_.MetricsFile()).string() << "\n";
  }

  const RunConfig& config_;
  const TrainOptions& options_;
  const RunFolder folder_;
  std::unique_ptr<FileLock> lock_;
  const data::AugmentConfig& augment_;
  // Process
  DistEnv dist_env_;
  torch::Device device_{torch::kCPU};
  std::unique_ptr<Communicator> comm_;
  int rank_ = 0, world_ = 1;
  bool lead_ = true;  // rank 0 alone writes the run folder and reports
  uint64_t rank_salt_ = 0;
  // Data
  data::Corpus corpus_;
  std::size_t missing_ = 0, undecodable_ = 0;
  TaskInfo task_;
  bool waveform_ = false;
  int64_t crop_ = 0;
  std::unique_ptr<data::FeatureCache> cache_, wave_cache_;
  const data::FeatureCache* train_cache_ = nullptr;
  data::Split split_;
  data::LabelNormalizer normalizer_;
  FeatureNorm feature_norm_, band_norm_;
  // Model
  std::shared_ptr<models::EmotionModel> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<torch::Tensor> buffers_;
  nlohmann::json meta_;
  int64_t parameters_ = 0;
  bool own_loss_ = false;
  int curve_steps_ = 0;
  // Input pipeline
  std::unique_ptr<data::DataLoader> loader_;
  std::vector<std::size_t> my_val_;
  std::optional<Scorer> scorer_;  // validation and the final report
  bool terminal_ = false;
  int64_t interrupt_after_ = 0, exit_after_ = 0;
  // Progress
  Progress progress_;
  bool capped_ = false;
  uint64_t mask_seed_ = 0;
  double lr_ = 0, loss_sum_ = 0, comm_seconds_ = 0;
  int64_t samples_ = 0;
  Clock::time_point epoch_start_;
};

}  // namespace

int Train(const RunConfig& config, const TrainOptions& options) { return Trainer(config, options).Run(); }

}  // namespace mer::train
