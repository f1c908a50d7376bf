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

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainConfig& t, models::EmotionModel& model) {
  if (t.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(model.parameters(),
                                                torch::optim::AdamOptions(t.lr).weight_decay(t.weight_decay));
  }
  if (t.optimizer == "adamw") {
    return std::make_unique<torch::optim::AdamW>(model.parameters(),
                                                 torch::optim::AdamWOptions(t.lr).weight_decay(t.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(
      model.parameters(), torch::optim::SGDOptions(t.lr).momentum(t.momentum).weight_decay(t.weight_decay));
}

double LearningRate(const TrainConfig& t, int epoch) {
  if (t.schedule == "step") return t.lr * std::pow(t.gamma, epoch / t.step_size);
  if (t.schedule == "cosine") return 0.5 * t.lr * (1 + std::cos(M_PI * epoch / t.epochs));
  return t.lr;
}

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::string Duration(double seconds) {
  char buffer[32];
  const int s = static_cast<int>(seconds);
  std::snprintf(buffer, sizeof(buffer), "%02d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return buffer;
}

void AppendLine(const fs::path& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
  out.flush();
  if (!out) throw OutputError(path.string() + ": cannot append (disk full?)");
}

// The log gains an epoch's line before that epoch's checkpoints are written, so a run stopped between the two
// (a full disk, a kill) has log lines beyond last.pt. On resume they are dropped: those epochs run again and log
// once.
void TrimLogToEpoch(const fs::path& path, int epochs_done) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return;
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
  const std::size_t n = corpus->items.size(), world = static_cast<std::size_t>(comm.world());
  std::vector<std::string> errors(n);
  const auto decode = [&](std::size_t i) {
    try {
      cache.Share(corpus->items[i].audio);
    } catch (const Error& e) {
      errors[i] = e.what();
    }
  };
  ParallelFor((n + world - 1 - static_cast<std::size_t>(comm.rank())) / world, threads,
              [&](std::size_t k) { decode(k * world + static_cast<std::size_t>(comm.rank())); });
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

}  // namespace

int Train(const RunConfig& config, const TrainOptions& options) {
  const fs::path run = options.out_dir;
  std::error_code ec;
  const bool has_checkpoint = fs::exists(run / "last.pt", ec) || fs::exists(run / "best.pt", ec);
  if (options.resume && !fs::exists(run / "last.pt", ec)) {
    throw ConfigError("--resume: " + (run / "last.pt").string() + " not found");
  }
  if (!options.resume && has_checkpoint) {
    throw ConfigError("--out " + run.string() + " already holds a run; use --resume to continue it or another --out");
  }
  // A run folder is new, empty, or holds only what mer (and scripts/sweep.sh) write there: a folder of the user's
  // own files is never written into, whatever its files are called.
  if (options.resume) {
    // --resume: the folder is a run (last.pt checked above); files the user added beside it are left alone.
  } else if (fs::is_directory(run, ec)) {
    static const std::set<std::string> kRunFiles = {"config.json", "split.json", "labels.json", "train_log.jsonl",
                                                     "best.pt",     "last.pt",    "metrics.json", "sweep.json",
                                                     "train.out",   "eval.json",  "test_predictions.csv"};
    for (const auto& entry : fs::directory_iterator(run, ec)) {
      const std::string name = entry.path().filename().string();
      if (kRunFiles.count(name) || name.find(".tmp-") != std::string::npos) continue;
      throw ConfigError("--out " + run.string() + ": the folder holds files that are not a mer run's (" + name +
                        "); nothing is written there: use a new or empty folder");
    }
    if (fs::exists(run / "config.json", ec) && !fs::exists(run / "labels.json", ec)) {  // e.g. the user's --config
      throw ConfigError("--out " + run.string() + ": its config.json is not a mer run's (no labels.json beside it); "
                        "nothing is written there: use a new or empty folder");
    }
  } else if (fs::exists(run, ec)) {
    throw ConfigError("--out " + run.string() + ": exists and is not a folder");
  }
  // Data-parallel ranks (torchrun, srun, `mer train --nproc`): each GPU rank on its LOCAL_RANK's device.
  const DistEnv dist_env = ReadDistEnv();
  torch::Device device = ResolveDevice(options.device);
  if (device.is_cuda() && dist_env.world > 1) {
    const int devices = std::max(1, static_cast<int>(torch::cuda::device_count()));
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(dist_env.local_rank % devices));
  }
  // train.threads, else $OMP_NUM_THREADS when set (several trainings sharing a machine), else every core.
  const char* omp_threads = std::getenv("OMP_NUM_THREADS");
  const int env_threads = omp_threads ? std::atoi(omp_threads) : 0;
  torch::set_num_threads(config.train.threads > 0 ? config.train.threads
                         : env_threads > 0        ? env_threads
                                                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  // Every rank has checked the folder above before the rendezvous, so before rank 0 writes into it.
  const std::unique_ptr<Communicator> comm =
      Communicator::Connect(dist_env, std::chrono::seconds(options.dist_timeout_seconds));
  const int rank = comm->rank(), world = comm->world();
  const bool lead = rank == 0;  // rank 0 alone writes the run folder and reports
  // Per-rank randomness (dropout, masks, mixup) differs between ranks; with one rank the seeds are the same as ever.
  const uint64_t rank_salt = world > 1 ? Mix(0x72616e6b, static_cast<uint64_t>(rank)) : 0;
  if (lead) fs::create_directories(run, ec);
  if (ec) throw OutputError(run.string() + ": cannot create the run folder: " + ec.message());

  // Data: labelled items with audio, the split, label normalisation fitted on the training part only.
  const data::Corpus all = config.data.LoadCorpus();
  std::size_t missing = 0;
  data::Corpus corpus = WithAudio(all, &missing);
  if (config.model.task == "dynamic") {  // only items with curves can be scored per window
    corpus.items.erase(std::remove_if(corpus.items.begin(), corpus.items.end(),
                                      [](const data::Item& item) { return !item.dynamic.has_value(); }),
                       corpus.items.end());
    if (corpus.items.empty()) {
      throw ConfigError("model.task = \"dynamic\" is invalid: no item of " + corpus.dataset + " has valence/arousal curves");
    }
  }
  const TaskInfo task = ResolveTask(config.model.task, config.train.monitor, corpus.schema);
  // Inputs: the cached log-mel, or the waveform for raw-audio models and the learnable frontend.
  const bool waveform = config.WaveformInput(), raw = IsRawAudioModel(config.model.name);
  const int64_t crop = config.CropLength();  // loader columns per model input: frames or samples
  const data::FeatureCache cache(config.data.EffectiveCacheDir(), config.frontend, std::size_t{512} << 20,
                                 waveform ? data::FeatureKind::kWaveform : data::FeatureKind::kLogMel);
  // Every clip decoded (and cached) before the split, on the training threads: clips that fail are reported, counted
  // and left out, so one bad file in a real collection does not end a run. (Nothing is re-decoded later: the
  // cache holds them.)
  const std::size_t undecodable = DropUndecodable(&corpus, cache, std::max(1, torch::get_num_threads()), *comm);
  if (corpus.items.size() < 3) {
    throw InputError(config.data.root.string() + ": only " + std::to_string(corpus.items.size()) +
                     " labelled items have readable audio; nothing to train on");
  }
  const data::Split split = data::MakeSplit(corpus, config.data.split);
  const data::LabelNormalizer normalizer =
      task.task == "regression" ? data::LabelNormalizer::Fit(corpus, split.train)
      : task.task == "dynamic"  ? FitCurveNormalizer(corpus, split.train)
                                : data::LabelNormalizer{};
  const double frames_per_second = cache.FramesPerSecond();
  // Input standardisation fitted on the training items: per mel band, or one scale for a raw waveform. The
  // learnable frontend standardises inside the model with the fixed log-mel's per-band statistics.
  FeatureNorm feature_norm, band_norm;
  if (config.learnable.enabled) {
    const data::FeatureCache mel_cache(config.data.EffectiveCacheDir(), config.frontend);
    band_norm = FeatureNorm::Fit(
        split.train, [&](std::size_t i) { return mel_cache.Get(corpus.items[i].audio); }, config.frontend.n_mels);
  } else {
    feature_norm = FeatureNorm::Fit(
        split.train, [&](std::size_t i) { return cache.Get(corpus.items[i].audio); }, waveform ? 1 : config.frontend.n_mels);
  }

  models::ModelSpec spec;
  // raw_cnn counts its window in samples; behind the learnable frontend it reads that window's log-mel frames.
  spec.n_mels = raw && !config.learnable.enabled ? 1 : config.frontend.n_mels;
  spec.frames = !raw ? config.model.input_frames
                     : config.learnable.enabled ? FramesForSamples(config.frontend, crop) : crop;
  spec.learnable_frontend = config.learnable.enabled;
  spec.train_stft = config.learnable.train_stft;
  spec.train_mel = config.learnable.train_mel;
  spec.frontend = config.frontend;
  spec.outputs = static_cast<int>(task.outputs.size());
  spec.dropout = config.model.dropout;
  spec.task = task.task;
  spec.channels = config.model.channels;
  spec.quadrant_weight = config.model.quadrant_weight;
  spec.filters = config.model.filters;
  spec.embedding_dim = config.model.embedding_dim;
  spec.music_encoder = config.model.music_encoder;
  spec.emotion_encoder = config.model.emotion_encoder;
  if (task.task == "dynamic") spec.curve_steps = CurveStepsFor(static_cast<double>(crop) / frames_per_second);
  spec.cca_weight = config.model.cca_weight;
  spec.margin = config.model.margin;
  torch::manual_seed(config.train.seed);
  std::shared_ptr<models::EmotionModel> model = models::CreateModel(config.model.name, spec);
  if (auto* learnable = dynamic_cast<models::WithLearnableFrontend*>(model.get())) {
    learnable->SetBandNorm(band_norm.mean, band_norm.std);
  }
  model->to(device);
  std::unique_ptr<torch::optim::Optimizer> optimizer = MakeOptimizer(config.train, *model);
  std::vector<torch::Tensor> buffers;  // batch-norm statistics: rank 0's before every step, as DDP does

  nlohmann::json meta = {{"format_version", kCheckpointFormat},
                         {"config", config.resolved},
                         {"model", config.model.name},
                         {"spec", SpecToJson(spec)},
                         {"crop", crop},
                         {"task", task.ToJson()},
                         {"normalizer", normalizer.ToJson()},
                         {"feature_norm", feature_norm.ToJson()},
                         {"label_names", corpus.schema.names},
                         {"scale", {corpus.schema.scale_min, corpus.schema.scale_max}},
                         {"epoch", 0},
                         {"step_in_epoch", 0},
                         {"global_step", 0},
                         {"best_metric", nullptr},
                         {"best_epoch", -1},
                         {"stale_epochs", 0}};
  if (options.resume) {
    LoadedCheckpoint last = LoadCheckpoint(run / "last.pt", device);
    if (last.meta.at("config") != config.resolved) {
      throw ConfigError("--resume: the config differs from the one " + run.string() +
                        " was started with (see its config.json)");
    }
    model = last.model;
    model->train();
    optimizer = MakeOptimizer(config.train, *model);
    LoadOptimizerState(last, optimizer.get(), run / "last.pt");
    meta = last.meta;
    if (lead) TrimLogToEpoch(run / "train_log.jsonl", meta.at("epoch").get<int>());
  } else if (lead) {
    WriteFileAtomically(run / "config.json", config.resolved.dump(2) + "\n");
    WriteFileAtomically(run / "split.json", split.ToJson(corpus, config.data.split).dump(1) + "\n");
    WriteFileAtomically(run / "labels.json", nlohmann::json({{"task", task.ToJson()},
                                                             {"normalizer", normalizer.ToJson()},
                                                             {"label_names", corpus.schema.names}})
                                                 .dump(2) +
                                                 "\n");
    std::ofstream(run / "train_log.jsonl", std::ios::trunc);
  }
  if (world > 1) {  // every rank starts from rank 0's weights
    std::vector<torch::Tensor> state = model->parameters();
    buffers = model->buffers();
    state.insert(state.end(), buffers.begin(), buffers.end());
    comm->Broadcast(state);
  }
  const int64_t parameters = models::ParameterCount(*model);
  if (lead) std::cerr << "mer train: " << config.model.name << " (" << parameters << " parameters) on " << corpus.dataset << ", "
            << task.task << " of " << task.outputs.size() << " outputs; " << split.train.size() << " train / "
            << split.val.size() << " val / " << split.test.size() << " test items";
  if (lead && missing) std::cerr << " (" << missing << " without audio left out)";
  if (lead && undecodable) std::cerr << " (" << undecodable << " that failed to decode left out)";
  if (lead) std::cerr << "; device " << (device.is_cuda() ? "cuda" : "cpu");
  if (lead && world > 1) std::cerr << "; " << world << " ranks (" << dist_env.source << "), batch " << config.train.batch_size << " per rank";
  if (lead) std::cerr << "\n";

  data::LoaderOptions loader_options;
  loader_options.mode = "train";
  loader_options.batch_size = static_cast<std::size_t>(config.train.batch_size);
  loader_options.crop_frames = crop;
  loader_options.workers = config.train.workers;
  loader_options.seed = config.train.seed;
  loader_options.rank = rank;
  loader_options.world = world;
  // Augmentation, training only. Waveform operations run on waveform crops in the loader threads; a log-mel model
  // then gets the frontend of each augmented crop (its top_db floor is the crop's, not the file's). SpecAugment
  // masks log-mel crops in the loader, or the learnable frontend's output inside the model. mixup is per batch.
  const data::AugmentConfig& augment = config.augment;
  std::unique_ptr<data::FeatureCache> wave_cache;
  const data::FeatureCache* train_cache = &cache;
  const double crop_seconds = static_cast<double>(crop) / frames_per_second;
  if (augment.WaveformOps()) {
    int64_t length = crop;  // samples the model input needs
    const features::Frontend* frontend = nullptr;
    if (!waveform) {
      wave_cache = std::make_unique<data::FeatureCache>(config.data.EffectiveCacheDir(), config.frontend,
                                                        std::size_t{512} << 20, data::FeatureKind::kWaveform);
      train_cache = wave_cache.get();
      length = SamplesForFrames(config.frontend, config.model.input_frames);
      frontend = &cache.frontend();
    }
    loader_options.crop_frames = static_cast<int64_t>(std::ceil(static_cast<double>(length) * (1 + augment.time_stretch)));
    const int sample_rate = config.frontend.sample_rate;
    loader_options.transform = [&augment, length, sample_rate, frontend](data::Example& e, std::mt19937_64& rng) {
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
  } else if (augment.SpecOps() && !waveform) {
    loader_options.transform = [&augment](data::Example& e, std::mt19937_64& rng) { SpecAugmentWithMean(&e, augment, &rng); };
  }
  auto* learnable_model = dynamic_cast<models::WithLearnableFrontend*>(model.get());
  uint64_t mask_seed = 0;
  if (learnable_model != nullptr && augment.SpecOps()) {
    learnable_model->train_transform = [&augment, &mask_seed](torch::Tensor& features) {
      std::mt19937_64 rng(mask_seed);
      for (int64_t b = 0; b < features.size(0); ++b) {
        const data::SpecMasks masks = data::DrawSpecMasks(static_cast<int>(features.size(1)), features.size(2), augment, &rng);
        for (const auto& [start, width] : masks.time) features[b].narrow(1, start, width).fill_(0.0);  // 0 = band mean
        for (const auto& [start, width] : masks.freq) features[b].narrow(0, start, width).fill_(0.0);
      }
    };
  }
  const double train_frames_per_second = train_cache->FramesPerSecond();
  const bool own_loss = model->HasTrainingLoss();  // only such models read the quadrant of each target
  // Only a recurrent emotion encoder reads each window's curve: other models are not handed (or sampled) one.
  const int curve_steps = model->Embedding() != nullptr ? model->Embedding()->CurveSteps() : 0;
  data::DataLoader loader(corpus, split.train, *train_cache, loader_options);
  const std::vector<std::size_t>& val = split.val.empty() ? split.train : split.val;
  const std::vector<std::size_t> my_val = RankSlice(val, rank, world);  // validation sharded, then gathered
  const int64_t eval_hop = std::max<int64_t>(1, std::llround(config.train.eval_hop * static_cast<double>(crop)));
  const bool terminal = lead && options.progress && ::isatty(STDERR_FILENO);

  int epoch = meta["epoch"].get<int>();
  int64_t skip = meta["step_in_epoch"].get<int64_t>();
  int64_t global_step = meta["global_step"].get<int64_t>();
  double best = meta["best_metric"].is_null() ? -INFINITY : meta["best_metric"].get<double>();
  int best_epoch = meta["best_epoch"].get<int>(), stale = meta["stale_epochs"].get<int>();
  const auto save = [&](const fs::path& path, int at_epoch, int64_t step_in_epoch) {
    if (!lead) return;
    meta["epoch"] = at_epoch;
    meta["step_in_epoch"] = step_in_epoch;
    meta["global_step"] = global_step;
    meta["best_metric"] = std::isfinite(best) ? nlohmann::json(best) : nlohmann::json(nullptr);
    meta["best_epoch"] = best_epoch;
    meta["stale_epochs"] = stale;
    SaveCheckpoint(path, *model, optimizer.get(), meta);
  };

  SignalGuard signals;
  const char* interrupt_env = std::getenv("MER_TEST_INTERRUPT_AFTER_STEPS");
  const int64_t interrupt_after = interrupt_env ? std::atoll(interrupt_env) : 0;
  // Test hook: MER_TEST_EXIT_AFTER_STEPS=k ends this process (status 9, nothing saved) after the k-th step, as a
  // rank that dies would.
  const char* exit_env = std::getenv("MER_TEST_EXIT_AFTER_STEPS");
  const int64_t exit_after = exit_env ? std::atoll(exit_env) : 0;
  bool capped = config.train.max_steps > 0 && global_step >= config.train.max_steps;
  for (; epoch < config.train.epochs && !capped; ++epoch) {
    const double lr = LearningRate(config.train, epoch);
    SetLearningRate(*optimizer, lr);
    loader.StartEpoch(epoch);
    const std::size_t batches = loader.BatchesPerEpoch();
    model->train();
    const auto start = Clock::now();
    double loss_sum = 0, comm_seconds = 0;
    int64_t samples = 0, step_in_epoch = 0;
    while (auto batch = loader.Next()) {
      if (step_in_epoch < skip) {  // resuming inside an epoch: these steps were taken before the interruption
        ++step_in_epoch;
        continue;
      }
      // Dropout draws from torch's generator: seeding it per step makes a resumed run identical. (Seeding costs
      // about 0.4 ms, so it is skipped when nothing random happens in a step.)
      if (config.model.dropout > 0) torch::manual_seed(Mix(config.train.seed ^ rank_salt, static_cast<uint64_t>(global_step)));
      torch::Tensor x = FeaturesTensor(batch->examples, feature_norm, torch::kCPU);
      mask_seed = Mix(Mix(config.train.seed ^ rank_salt, static_cast<uint64_t>(global_step)), 0x6d61736b);
      std::vector<float> targets;
      std::vector<int64_t> quadrants;
      std::vector<float> curves;  // recurrent emotion encoder: [batch, curve_steps, 2]
      for (const auto& e : batch->examples) {
        const data::Item& item = corpus.items[e.item];
        std::vector<float> labels = item.labels, t;
        if (task.task == "dynamic") {  // the curve over this crop; a crop before the annotations takes the nearest value
          const double from = item.start_seconds + e.first_frame / train_frames_per_second;
          labels = *CurveMean(item, from, from + crop_seconds, true);
          t = normalizer.Normalize(labels);
          if (curve_steps > 0) {
            const std::vector<float> c = CurveSamples(item, from, from + crop_seconds, curve_steps, normalizer);
            curves.insert(curves.end(), c.begin(), c.end());
          }
        } else {
          t = task.Target(item.labels, normalizer);
        }
        if (own_loss && task.task != "tagging" && task.task != "classes") quadrants.push_back(data::Quadrant(labels[0], labels[1], task.midpoint));
        targets.insert(targets.end(), t.begin(), t.end());
      }
      const int64_t b = static_cast<int64_t>(batch->examples.size());
      const bool mixup = augment.mixup_alpha > 0 && b > 1;
      if (mixup) {  // inputs and targets (quadrants: one-hot) mixed with the same lambda and partners
        std::mt19937_64 rng(Mix(Mix(config.train.seed ^ rank_salt, static_cast<uint64_t>(global_step)), 0x6d6978));
        const data::MixupPlan plan = data::MakeMixupPlan(static_cast<std::size_t>(b), augment.mixup_alpha, &rng);
        data::MixRows(x.data_ptr<float>(), static_cast<std::size_t>(x.numel() / b), plan);
        if (task.IsClassification()) {
          const int64_t k = static_cast<int64_t>(task.outputs.size());
          std::vector<float> one_hot(static_cast<std::size_t>(b * k), 0.0f);
          for (int64_t i = 0; i < b; ++i) one_hot[static_cast<std::size_t>(i * k + static_cast<int64_t>(targets[i]))] = 1.0f;
          targets = std::move(one_hot);
        }
        data::MixRows(targets.data(), targets.size() / static_cast<std::size_t>(b), plan);
      }
      x = x.to(device);
      models::TrainingBatch training{x, {}, {}, {}};
      if (task.IsClassification() && !mixup) {
        training.target = torch::tensor(std::vector<int64_t>(targets.begin(), targets.end())).to(device);
      } else {
        training.target = torch::tensor(targets).reshape({b, -1}).to(device);
      }
      if (!quadrants.empty()) training.quadrant = torch::tensor(quadrants).to(device);
      if (!curves.empty()) training.curve = torch::tensor(curves).reshape({b, curve_steps, 2}).to(device);
      if (!buffers.empty()) comm->Broadcast(buffers);
      torch::Tensor loss = model->TrainingLoss(training);
      if (!loss.defined()) {
        const torch::Tensor output = model->forward(x);
        loss = task.IsClassification() && mixup ? -(training.target * torch::log_softmax(output, 1)).sum(1).mean()
               : task.IsClassification()        ? torch::nn::functional::cross_entropy(output, training.target)
               : task.task == "tagging" ? torch::nn::functional::binary_cross_entropy_with_logits(output, training.target)
                                        : torch::mse_loss(output, training.target);
      }
      optimizer->zero_grad();
      loss.backward();
      if (world > 1) comm_seconds += comm->AverageGradients(model->parameters());
      if (config.train.grad_clip > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), config.train.grad_clip);
      optimizer->step();
      ++global_step;
      ++step_in_epoch;
      loss_sum += loss.item<double>() * b;
      samples += b;
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (terminal) {
        const double per_step = seconds / std::max<int64_t>(1, step_in_epoch - skip);
        std::fprintf(stderr, "\repoch %d/%d  step %lld/%zu  loss %.4f  %.1f samples/s  ETA %s   ", epoch + 1,
                     config.train.epochs, static_cast<long long>(step_in_epoch), batches, loss_sum / samples,
                     samples / std::max(seconds, 1e-9),
                     Duration(per_step * (static_cast<double>(batches) - step_in_epoch)).c_str());
      }
      // Test hook: MER_TEST_INTERRUPT_AFTER_STEPS=k raises SIGINT after the k-th optimiser step, so the
      // interrupt-and-resume test is exact rather than timing-dependent.
      if (interrupt_after > 0 && global_step == interrupt_after) std::raise(SIGINT);
      if (exit_after > 0 && global_step == exit_after) std::_Exit(9);
      int signal = g_signal;
      if (world > 1) {  // the ranks stop together, at the same step, if any of them was signalled
        const std::vector<double> any = comm->Sum({signal == SIGINT ? 1.0 : 0.0, signal == SIGTERM ? 1.0 : 0.0});
        signal = any[0] > 0 ? SIGINT : any[1] > 0 ? SIGTERM : 0;
      }
      if (signal != 0) {
        if (terminal) std::fprintf(stderr, "\n");
        save(run / "last.pt", epoch, step_in_epoch);
        if (lead) std::cerr << "mer train: interrupted (" << (signal == SIGINT ? "SIGINT" : "SIGTERM") << "); saved "
                  << (run / "last.pt").string() << ", continue with --resume\n";
        return signal == SIGINT ? 130 : 143;
      }
      if (config.train.max_steps > 0 && global_step >= config.train.max_steps) {
        capped = true;
        break;
      }
    }
    skip = 0;
    if (terminal) std::fprintf(stderr, "\n");
    if (world > 1) {  // the epoch's loss and samples over every rank
      const std::vector<double> totals = comm->Sum({loss_sum, static_cast<double>(samples)});
      loss_sum = totals[0];
      samples = static_cast<int64_t>(totals[1]);
    }
    const double train_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    // Validation: track-level metrics over sliding windows, each rank scoring its share.
    Scored scored = ScoreItems(*model, corpus, my_val, cache, crop, eval_hop, task, feature_norm, normalizer,
                               device, config.train.workers, config.train.batch_size);
    if (world > 1) GatherScored(*comm, &scored);
    const nlohmann::json val_metrics = ComputeMetrics(task, scored.truth, scored.predicted);
    const double monitored = comm->BroadcastValue(MonitorValue(task, val_metrics));  // one decision for all ranks
    const bool improved = monitored > best;
    if (improved) {
      best = monitored;
      best_epoch = epoch;
      stale = 0;
    } else {
      ++stale;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    nlohmann::json line = {{"epoch", epoch + 1},
                                 {"global_step", global_step},
                                 {"train_loss", samples ? loss_sum / samples : 0.0},
                                 {"val", val_metrics},
                                 {"monitor", task.monitor},
                                 {"monitor_value", std::isfinite(monitored) ? nlohmann::json(monitored) : nlohmann::json(nullptr)},
                                 {"lr", lr},
                                 {"seconds", seconds},
                                 {"samples_per_second", samples / std::max(train_seconds, 1e-9)}};
    if (world > 1) {
      line["ranks"] = world;
      line["comm_seconds"] = comm->Sum({comm_seconds})[0] / world;  // gradient all-reduce, mean over the ranks
    }
    if (lead) AppendLine(run / "train_log.jsonl", line.dump());
    if (lead) std::fprintf(stderr, "epoch %d/%d  loss %.4f  val %s %.4f%s  %.1f samples/s  %.1f s\n", epoch + 1,
                 config.train.epochs, samples ? loss_sum / samples : 0.0, task.monitor.c_str(), monitored,
                 improved ? " (best)" : "", samples / std::max(train_seconds, 1e-9), seconds);
    if (improved) save(run / "best.pt", epoch + 1, 0);
    save(run / "last.pt", epoch + 1, 0);
    if (config.train.patience > 0 && stale >= config.train.patience) {
      if (lead) std::fprintf(stderr, "early stopping: no %s improvement for %d epochs\n", task.monitor.c_str(), stale);
      ++epoch;
      break;
    }
  }
  if (!lead) return 0;  // rank 0 scores the best checkpoint and writes the report
  if (!fs::exists(run / "best.pt", ec)) save(run / "best.pt", epoch, 0);

  // Final report: the best checkpoint on validation and test.
  LoadedCheckpoint best_checkpoint = LoadCheckpoint(run / "best.pt", device);
  nlohmann::json report = {{"model", config.model.name}, {"parameters", parameters}, {"dataset", corpus.dataset},
                           {"task", task.task},          {"best_epoch", best_epoch + 1}, {"global_step", global_step},
                           {"device", device.is_cuda() ? "cuda" : "cpu"}};
  if (world > 1) report["ranks"] = world;
  std::optional<models::LinearCca> retrieval_cca;  // emb_cl with lambda > 0: fitted once on the training part
  if (auto* embedding = best_checkpoint.model->Embedding(); embedding != nullptr && config.model.cca_weight > 0) {
    retrieval_cca = FitRetrievalCca(*embedding, corpus, split.train, cache, crop, eval_hop, task, feature_norm,
                                    normalizer, device, config.train.workers, config.train.batch_size);
  }
  for (const char* part : {"val", "test"}) {
    const auto& indices = split.Part(part);
    if (indices.empty()) continue;
    const Scored scored = ScoreItems(*best_checkpoint.model, corpus, indices, cache, crop,
                                     eval_hop, task, feature_norm, normalizer, device, config.train.workers,
                                     config.train.batch_size);
    report[part] = ComputeMetrics(task, scored.truth, scored.predicted);
    if (auto* embedding = best_checkpoint.model->Embedding()) {
      report[part]["retrieval"] = RetrievalReport(*embedding, corpus, indices, cache, crop, eval_hop, task,
                                                  feature_norm, normalizer, device, config.train.workers,
                                                  config.train.batch_size, retrieval_cca ? &*retrieval_cca : nullptr,
                                                  config.model.cca_weight);
    }
  }
  WriteFileAtomically(run / "metrics.json", report.dump(2) + "\n");
  std::cerr << "mer train: done; best epoch " << best_epoch + 1 << ", metrics in " << (run / "metrics.json").string()
            << "\n";
  return 0;
}

}  // namespace mer::train
