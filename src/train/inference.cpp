#include "inference.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

#include <sys/stat.h>

#include "checkpoint.h"
#include "mer/audio/decoder.h"
#include "mer/core/config.h"
#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/data/data_loader.h"
#include "mer/metrics/metrics.h"
#include "mer/models/losses.h"
#include "mer/models/retrieval.h"
#include "mer/train/api.h"
#include "mer/train/run_folder.h"
#include "pretrained_features.h"

namespace mer::train {

namespace fs = std::filesystem;

torch::Tensor ToOutputSpace(const torch::Tensor& raw, const TaskInfo& task, const data::LabelNormalizer& normalizer) {
  if (task.IsTagging()) return torch::sigmoid(raw);
  if (task.IsClassification()) return torch::softmax(raw, 1);  // regression and dynamic: back to the labels' scale
  if (normalizer.mean.empty()) return raw;
  const auto options = torch::TensorOptions().dtype(raw.dtype()).device(raw.device());
  const torch::Tensor mean = torch::tensor(std::vector<float>(normalizer.mean.begin(), normalizer.mean.end()), options);
  const torch::Tensor std = torch::tensor(std::vector<float>(normalizer.std.begin(), normalizer.std.end()), options);
  return raw * std + mean;
}

torch::Tensor FeaturesTensor(const std::vector<data::Example>& examples, const FeatureNorm& norm,
                             const torch::Device& device) {
  const int n_mels = examples[0].n_mels;
  const int64_t frames = examples[0].frames;
  torch::Tensor x = torch::empty({static_cast<int64_t>(examples.size()), n_mels, frames});
  float* out = x.data_ptr<float>();
  const bool standardise = norm.mean.size() == static_cast<std::size_t>(n_mels);
  for (const auto& e : examples) {
    for (int m = 0; m < n_mels; ++m) {
      const float* in = e.features.data() + static_cast<std::size_t>(m) * frames;
      const float mean = standardise ? norm.mean[m] : 0.0f, scale = standardise ? 1.0f / norm.std[m] : 1.0f;
      for (int64_t f = 0; f < frames; ++f) out[f] = (in[f] - mean) * scale;
      out += frames;
    }
  }
  return x.to(device);
}

namespace {

// Runs `forward` ([batch, n_mels, frames] features on the scorer's device -> [batch, k]) over sliding windows of the
// given items and hands each batch's examples and outputs ([batch, k] doubles on the CPU) to `consume`.
template <typename Forward, typename Consume>
void ForEachWindowBatch(const Scorer& s, models::EmotionModel& model, Forward&& forward,
                        const std::vector<std::size_t>& indices, Consume&& consume) {
  data::LoaderOptions o;
  o.mode = "windows";
  o.crop_frames = s.frames;
  o.hop_frames = std::max<int64_t>(1, s.hop);
  o.batch_size = static_cast<std::size_t>(s.batch_size);
  o.workers = s.workers;
  data::DataLoader loader(s.corpus, indices, s.cache, o);
  loader.StartEpoch(0);
  torch::NoGradGuard no_grad;
  model.eval();
  while (auto batch = loader.Next()) {
    const torch::Tensor out =
        forward(FeaturesTensor(batch->examples, s.norm, s.device)).to(torch::kCPU, torch::kDouble).contiguous();
    consume(batch->examples, out);
  }
}

// Per item, the mean over its windows of `forward`'s rows, in the order of `indices`.
template <typename Forward>
std::vector<std::vector<double>> MeanOverWindows(const Scorer& s, models::EmotionModel& model, Forward&& forward,
                                                 const std::vector<std::size_t>& indices) {
  std::map<std::size_t, std::pair<std::vector<double>, int>> sums;
  ForEachWindowBatch(s, model, forward, indices, [&](const std::vector<data::Example>& examples, const torch::Tensor& out) {
    const double* values = out.data_ptr<double>();
    const int64_t k = out.size(1);
    for (std::size_t b = 0; b < examples.size(); ++b) {
      auto& [sum, count] = sums[examples[b].item];
      sum.resize(static_cast<std::size_t>(k), 0.0);
      for (int64_t j = 0; j < k; ++j) sum[j] += values[b * k + j];
      ++count;
    }
  });
  std::vector<std::vector<double>> result;
  for (std::size_t i : indices) {
    auto& [sum, count] = sums.at(i);
    for (double& v : sum) v /= count;
    result.push_back(sum);
  }
  return result;
}

// Music and emotion sides of the retrieval rows, [n, 2 dim] (mean | log-variance) or with_cca [n, 3 dim]
// (| embedding), float64 on the CPU. Rows: one per item (track level: the music side averaged over the windows,
// the emotion side from the track's own valence/arousal), or for the dynamic task one per annotated window.
struct EmbeddedPairs {
  torch::Tensor music, emotion;
  int64_t rows() const { return music.defined() ? music.size(0) : 0; }
};

// Per-row music outputs as one [n, k] float64 tensor.
torch::Tensor MusicTensor(const std::vector<std::vector<double>>& music) {
  std::vector<double> flat;
  for (const auto& row : music) flat.insert(flat.end(), row.begin(), row.end());
  return torch::tensor(flat, torch::kDouble).reshape({static_cast<int64_t>(music.size()), -1});
}

// The emotion side of pairs: valence/arousal [n, 2] or curves [n, steps, 2], with the CCA embedding when asked.
torch::Tensor EmbedEmotionSide(models::EmbeddingModel& model, const torch::Tensor& input, bool with_cca) {
  if (with_cca) return model.EmbedEmotionWithCca(input);
  return input.dim() == 3 ? model.EmbedEmotionCurve(input) : model.EmbedEmotion(input);
}

EmbeddedPairs EmbedPairs(const Scorer& s, models::EmbeddingModel& model, const std::vector<std::size_t>& indices,
                         bool with_cca) {
  const auto forward = [&](const torch::Tensor& x) { return with_cca ? model.EmbedMusicWithCca(x) : model.EmbedMusic(x); };
  std::vector<std::vector<double>> music;
  std::vector<float> emotion_input;  // [n, 2] valence/arousal, or [n, steps, 2] curves
  const int steps = model.CurveSteps();
  const bool windows = s.task.IsDynamic() && !s.song_rows;
  if (s.task.IsDynamic() && s.song_rows) {
    // Song level for the dynamic task (EMER-CL's authors score one row per song): the music side averaged over the
    // song's windows, the emotion side from its whole curve (a recurrent encoder reads every annotated value, one
    // song at a time since curves differ in length; a static one their mean).
    std::vector<std::size_t> with_curve;
    for (std::size_t i : indices) {
      const auto& curve = s.corpus.items[i].dynamic;
      if (curve && !curve->valence.empty()) with_curve.push_back(i);
    }
    if (with_curve.empty()) return {};
    music = MeanOverWindows(s, model, forward, with_curve);
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> rows;
    for (std::size_t i : with_curve) {
      const data::Item& item = s.corpus.items[i];
      const data::Curve& c = *item.dynamic;
      const double from = c.start_seconds, to = c.start_seconds + c.hop_seconds * static_cast<double>(c.valence.size());
      torch::Tensor in;
      if (steps > 0) {
        const int points = static_cast<int>(c.valence.size());
        in = torch::tensor(CurveSamples(item, from, to, points, s.normalizer)).reshape({1, points, 2});
      } else {
        in = torch::tensor(s.normalizer.Normalize(*CurveMean(item, from, to, true))).reshape({1, 2});
      }
      rows.push_back(EmbedEmotionSide(model, in.to(s.device), with_cca));
    }
    return {MusicTensor(music), torch::cat(rows).to(torch::kCPU, torch::kDouble)};
  }
  if (windows) {
    // Window level, as the dynamic task is scored: each annotated window's music Gaussian against the emotion of
    // its own stretch of the curve (the curve itself for a recurrent emotion encoder, else its mean).
    const double frames_per_second = s.cache.FramesPerSecond();
    const double seconds = static_cast<double>(s.frames) / frames_per_second;
    ForEachWindowBatch(s, model, forward, indices, [&](const std::vector<data::Example>& examples, const torch::Tensor& out) {
      for (std::size_t b = 0; b < examples.size(); ++b) {
        const data::Item& item = s.corpus.items[examples[b].item];
        const double from = item.start_seconds + examples[b].first_frame / frames_per_second;
        const auto mean = CurveMean(item, from, from + seconds, false);
        if (!mean) continue;
        const std::vector<float> e = steps > 0 ? CurveSamples(item, from, from + seconds, steps, s.normalizer)
                                               : s.normalizer.Normalize(*mean);
        emotion_input.insert(emotion_input.end(), e.begin(), e.end());
        const double* row = out.data_ptr<double>() + static_cast<int64_t>(b) * out.size(1);
        music.emplace_back(row, row + out.size(1));
      }
    });
    if (music.empty()) return {};
  } else {
    music = MeanOverWindows(s, model, forward, indices);
    if (music.empty()) return {};
    for (std::size_t i : indices) {
      const auto z = s.normalizer.Normalize({s.corpus.items[i].labels[0], s.corpus.items[i].labels[1]});
      emotion_input.insert(emotion_input.end(), z.begin(), z.end());
    }
  }
  torch::NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(music.size());
  const torch::Tensor input = torch::tensor(emotion_input).to(s.device);
  const torch::Tensor shaped = windows && steps > 0 ? input.reshape({n, steps, 2}) : input.reshape({n, 2});
  return {MusicTensor(music), EmbedEmotionSide(model, shaped, with_cca).to(torch::kCPU, torch::kDouble)};
}

metrics::Matrix Rows(const torch::Tensor& t) {
  metrics::Matrix out(static_cast<std::size_t>(t.size(0)));
  const torch::Tensor c = t.contiguous();
  for (int64_t i = 0; i < t.size(0); ++i) out[i].assign(c[i].data_ptr<double>(), c[i].data_ptr<double>() + t.size(1));
  return out;
}

}  // namespace

std::vector<std::vector<double>> Scorer::PredictItems(models::EmotionModel& model,
                                                      const std::vector<std::size_t>& indices) const {
  const auto forward = [&](const torch::Tensor& x) { return ToOutputSpace(model.forward(x), task, normalizer); };
  return MeanOverWindows(*this, model, forward, indices);
}

std::optional<models::LinearCca> Scorer::FitRetrievalCca(models::EmbeddingModel& model,
                                                         const std::vector<std::size_t>& train_indices) const {
  const EmbeddedPairs train = EmbedPairs(*this, model, train_indices, true);
  if (train.rows() < 2) return std::nullopt;
  const int64_t dim = train.music.size(1) / 3;
  return models::LinearCca::Fit(train.music.narrow(1, 2 * dim, dim), train.emotion.narrow(1, 2 * dim, dim));
}

nlohmann::json Scorer::Retrieval(models::EmbeddingModel& model, const std::vector<std::size_t>& indices,
                                 const models::LinearCca* cca, double lambda) const {
  if (cca == nullptr) lambda = 0.0;
  const EmbeddedPairs test = EmbedPairs(*this, model, indices, lambda > 0);
  if (test.rows() == 0) return nlohmann::json::object();
  const int64_t dim = test.music.size(1) / (lambda > 0 ? 3 : 2);
  const auto part = [&](const torch::Tensor& t, int64_t k) { return t.narrow(1, k * dim, dim); };
  const torch::Tensor none;
  const models::CompositeDistances d = models::CompositeRetrievalDistances(
      cca, lambda > 0 ? part(test.music, 2) : none, lambda > 0 ? part(test.emotion, 2) : none, part(test.music, 0),
      part(test.music, 1), part(test.emotion, 0), part(test.emotion, 1), lambda, kRetrievalCorrP);
  nlohmann::json report = {{"level", task.IsDynamic() && !song_rows ? "window" : "track"},
                           {"rows", test.rows()},
                           {"lambda", lambda},
                           {"music_to_emotion", metrics::Retrieval(Rows(d.m2e)).ToJson()},
                           {"emotion_to_music", metrics::Retrieval(Rows(d.e2m)).ToJson()}};
  if (lambda > 0) {
    report["corr_p"] = kRetrievalCorrP;
    report["cca_train_correlations"] = std::vector<double>(cca->train_corrs.data_ptr<double>(),
                                                           cca->train_corrs.data_ptr<double>() + dim);
  }
  return report;
}

Scored Scorer::Score(models::EmotionModel& model, const std::vector<std::size_t>& indices) const {
  Scored scored;
  if (!task.IsDynamic()) {
    scored.predicted = PredictItems(model, indices);
    for (std::size_t i : indices) {
      scored.ids.push_back(corpus.items[i].id);
      scored.truth.push_back(corpus.items[i].labels);
    }
    return scored;
  }
  const double frames_per_second = cache.FramesPerSecond();
  const auto forward = [&](const torch::Tensor& x) { return ToOutputSpace(model.forward(x), task, normalizer); };
  ForEachWindowBatch(*this, model, forward, indices, [&](const std::vector<data::Example>& examples, const torch::Tensor& out) {
    for (std::size_t b = 0; b < examples.size(); ++b) {
      const data::Example& e = examples[b];
      const data::Item& item = corpus.items[e.item];
      const double from = item.start_seconds + e.first_frame / frames_per_second;
      const auto truth = CurveMean(item, from, from + frames / frames_per_second, false);
      if (!truth) continue;
      const double* row = out.data_ptr<double>() + static_cast<int64_t>(b) * out.size(1);
      scored.ids.push_back(item.id);
      scored.times.push_back(from);
      scored.truth.push_back(*truth);
      scored.predicted.emplace_back(row, row + out.size(1));
    }
  });
  return scored;
}

data::Corpus WithAudio(const data::Corpus& corpus, std::size_t* missing) {
  data::Corpus kept = corpus;
  kept.items.clear();
  *missing = 0;
  for (const auto& item : corpus.items) {
    std::error_code ec;
    if (fs::is_regular_file(item.audio, ec)) {
      kept.items.push_back(item);
    } else {
      ++*missing;
    }
  }
  return kept;
}

LoadedRun OpenRun(const fs::path& run_dir, const std::string& device_name) {
  const RunFolder folder(run_dir);
  folder.RequireFolder();
  LoadedRun run;
  run.device = ResolveDevice(device_name);
  // The run's config.json (which predict and search read to compute features) and the checkpoint's own copy of the
  // config must be the same: a best.pt copied from another run, or an edited config.json, is refused here rather
  // than evaluated on the wrong data or blamed on the audio.
  const fs::path config_path = folder.ConfigFile();
  const nlohmann::json on_disk = folder.ConfigJson();
  run.checkpoint = LoadCheckpoint(folder.BestCheckpoint(), run.device);
  const auto& meta = run.checkpoint.meta;
  if (meta.contains("config") && meta.at("config") != on_disk) {
    throw InputError(folder.BestCheckpoint().string() + ": not trained with " + config_path.string() +
                     " (they differ at " + FirstDifference(meta.at("config"), on_disk) +
                     "); restore the run's config.json or train again");
  }
  RunMeta interpreted = InterpretRunMeta(meta, folder.BestCheckpoint().string());
  run.task = std::move(interpreted.task);
  run.normalizer = std::move(interpreted.normalizer);
  run.feature_norm = std::move(interpreted.feature_norm);
  run.frontend = interpreted.frontend;
  run.frames = interpreted.frames;
  run.waveform = interpreted.waveform;
  run.pretrained = interpreted.pretrained;
  // Frozen: the model reads the layers' values; fine-tuned: the log-mel (the networks are inside the model).
  if (run.pretrained.Frozen()) run.transform = PretrainedTransform(run.pretrained);
  return run;
}

void ForEachWindowBatch(const features::Spectrogram& s, int64_t frames, int64_t hop, bool waveform,
                        const std::function<void(const std::vector<data::Example>& windows,
                                                 const std::vector<int64_t>& start_frames)>& batch) {
  const std::optional<float> pad = waveform ? std::optional<float>(0.0f) : std::nullopt;
  std::vector<data::Example> windows;
  std::vector<int64_t> starts;
  for (int64_t start = 0;; start += hop) {
    data::Example e;
    e.n_mels = s.n_mels;
    e.frames = frames;
    e.first_frame = start;
    e.features = data::CutFrames(s, start, frames, s.frames, pad);
    windows.push_back(std::move(e));
    starts.push_back(start);
    const bool last = start + frames >= s.frames;
    if (last || windows.size() == kWindowBatch) {
      batch(windows, starts);
      windows.clear();
      starts.clear();
    }
    if (last) break;
  }
}

namespace {

std::string Csv(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", v);
  return buffer;
}

}  // namespace

namespace {

// A run's split.json read against the corpus as it is now: each part's ids as corpus indices.
class SplitParts {
 public:
  SplitParts(const fs::path& path, const data::Corpus& corpus) : path_(path) {
    try {
      split_ = nlohmann::json::parse(ReadFile(path));
    } catch (const nlohmann::json::exception&) {
      throw InputError(path.string() + ": not valid JSON");
    }
    for (std::size_t i = 0; i < corpus.items.size(); ++i) by_id_[corpus.items[i].id] = i;
  }
  // The corpus indices of a part's ids; *lost counts the ids without an item (audio gone, or annotations).
  std::vector<std::size_t> Indices(const std::string& part, std::size_t* lost) const {
    std::vector<std::size_t> found;
    if (!split_.contains(part) || !split_.at(part).is_array()) return found;
    for (const auto& id : split_.at(part)) {
      const auto it = id.is_string() ? by_id_.find(id.get<std::string>()) : by_id_.end();
      if (it == by_id_.end()) {
        ++*lost;
      } else {
        found.push_back(it->second);
      }
    }
    return found;
  }
  std::size_t Size(const std::string& part) const { return split_.contains(part) ? split_.at(part).size() : 0; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  nlohmann::json split_;
  std::map<std::string, std::size_t> by_id_;
};

// --predictions: one row per item (per window for the dynamic task), the true values then the predictions.
std::string PredictionsCsv(const Scored& scored, const std::vector<std::string>& truth_names,
                           const std::vector<std::string>& outputs) {
  const bool dynamic = !scored.times.empty();
  std::string csv = dynamic ? "id,time" : "id";
  for (const auto& n : truth_names) csv += ",true_" + n;
  for (const auto& n : outputs) csv += ",pred_" + n;
  csv += "\n";
  for (std::size_t r = 0; r < scored.ids.size(); ++r) {
    const std::string& id = scored.ids[r];
    csv += id.find_first_of(",\"") == std::string::npos ? id : "\"" + id + "\"";
    if (dynamic) csv += "," + Csv(scored.times[r]);
    for (float v : scored.truth[r]) csv += "," + Csv(v);
    for (double v : scored.predicted[r]) csv += "," + Csv(v);
    csv += "\n";
  }
  return csv;
}

// Retrieval both ways for an embedding model; lambda > 0 fits the linear CCA on the training part's embeddings,
// as the authors do.
nlohmann::json EvaluateRetrieval(const Scorer& scorer, models::EmbeddingModel& embedding, double lambda,
                                 const SplitParts& parts, const std::vector<std::size_t>& indices) {
  std::optional<models::LinearCca> cca;
  if (lambda > 0) {
    std::size_t train_lost = 0;
    cca = scorer.FitRetrievalCca(embedding, parts.Indices("train", &train_lost));
    if (!cca) {
      std::cerr << "mer eval: warning: fewer than 2 training items of " << parts.path().string()
                << " have audio: retrieval ranks by the KL term alone (lambda 0)\n";
    }
  }
  return scorer.Retrieval(embedding, indices, cca ? &*cca : nullptr, lambda);
}

// What `mer eval` scores a run's items with: its feature cache and a Scorer over windows every train.eval_hop.
struct RunScoring {
  RunScoring(const LoadedRun& run, const RunConfig& config, const data::Corpus& corpus)
      : cache(run.waveform ? data::FeatureCache(config.data.EffectiveCacheDir(), run.frontend, std::size_t{512} << 20,
                                                data::FeatureKind::kWaveform)
                           : data::FeatureCache(config.data.EffectiveCacheDir(), run.frontend, std::size_t{512} << 20,
                                                run.transform)),
        scorer{corpus, cache, run.frames, std::max<int64_t>(1, std::llround(config.train.eval_hop * run.frames)),
               run.task, run.feature_norm, run.normalizer, run.device, config.train.workers, 16,
               config.train.retrieval_rows == "song"} {}
  const data::FeatureCache cache;
  const Scorer scorer;
};

// One more run of an ensemble (`mer eval --run A --run B ...`), opened and checked against the first run before
// anything is scored: ConfigError naming both runs when they predict other outputs, are embedding runs or hold out
// other items.
struct Member {
  fs::path dir;
  LoadedRun run;
  RunConfig config;
};

ConfigError Disagree(const fs::path& member, const EvalOptions& options, const std::string& what) {
  return ConfigError("--run " + member.string() + " and --run " + options.run_dir.string() + " " + what +
                     ": an ensemble's runs must agree");
}

Member OpenMember(const fs::path& dir, const EvalOptions& options, const LoadedRun& first,
                  const data::Corpus& corpus, const std::vector<std::size_t>& indices) {
  const RunFolder folder(dir);
  Member member{dir, OpenRun(dir, options.device),
                RunFolder::ParseConfig(folder.ConfigJson(), folder.ConfigFile().string())};
  const LoadedRun& run = member.run;
  if (&run.task.Kind() != &first.task.Kind() || run.task.outputs != first.task.outputs) {
    throw Disagree(dir, options, "predict different outputs");
  }
  if (run.checkpoint.model->Embedding() != nullptr) {
    throw Disagree(dir, options, "are embedding runs, scored one at a time");
  }
  std::size_t lost = 0;
  if (SplitParts(folder.SplitFile(), corpus).Indices(options.split, &lost) != indices) {
    throw Disagree(dir, options, "hold out different " + options.split + " items");
  }
  return member;
}

// The member's outputs for the same items, in the dataset's scale, added to `sum`.
void AddMemberOutputs(const Member& member, const EvalOptions& options, const data::Corpus& corpus,
                      const std::vector<std::size_t>& indices, Scored* sum) {
  const Scored scored =
      RunScoring(member.run, member.config, corpus).scorer.Score(*member.run.checkpoint.model, indices);
  if (scored.ids != sum->ids) {
    throw Disagree(member.dir, options, "window the audio differently (model.input_frames, train.eval_hop)");
  }
  for (std::size_t i = 0; i < scored.predicted.size(); ++i) {
    for (std::size_t k = 0; k < scored.predicted[i].size(); ++k) sum->predicted[i][k] += scored.predicted[i][k];
  }
}

}  // namespace

nlohmann::json Evaluate(const EvalOptions& options) {
  if (options.split != "test" && options.split != "val" && options.split != "train") {
    throw ConfigError("--split " + options.split + ": expected test, val or train");
  }
  LoadedRun run = OpenRun(options.run_dir, options.device);
  // The run's config as typed structs (eval reads the data again, so its root must exist; predict never asks).
  const RunFolder folder(options.run_dir);
  nlohmann::json config_json = folder.ConfigJson();
  if (!options.data_root.empty()) {  // the dataset moved: the run (config.json, checkpoint) stays as trained
    if (config_json["data"].contains("datasets")) {
      throw ConfigError("--data-root: " + folder.dir().string() + " pools several datasets");
    }
    config_json["data"]["root"] = options.data_root.string();
  }
  const RunConfig config = RunFolder::ParseConfig(config_json, folder.ConfigFile().string() +
                                                                   (options.data_root.empty() ? "" : " with --data-root"));
  std::size_t missing = 0;
  const data::Corpus corpus = WithAudio(config.data.LoadCorpus(), &missing);
  const auto& meta = run.checkpoint.meta;
  if (meta.contains("split_checksum") && meta["split_checksum"] != SplitChecksum(ReadFile(folder.SplitFile()))) {
    throw InputError(folder.SplitFile().string() + ": changed since " + folder.BestCheckpoint().string() +
                     " was trained (its checksum differs): the parts would not hold the items the model was trained "
                     "and chosen on; restore it or train again");
  }
  const SplitParts parts(folder.SplitFile(), corpus);
  std::size_t lost = 0;
  const std::vector<std::size_t> indices = parts.Indices(options.split, &lost);
  if (indices.empty()) {
    throw InputError(parts.path().string() + ": no items of the " + options.split + " split have audio");
  }
  if (lost > 0) {
    std::cerr << "mer eval: warning: " << lost << " of " << parts.Size(options.split) << " " << options.split
              << " items of " << parts.path().string() << " have no audio now (or left the annotations); they are "
              << "left out of the metrics\n";
  }
  // An ensemble: every run is opened and checked before any is scored; the mean of their outputs is scored.
  if (!options.members.empty() && run.checkpoint.model->Embedding() != nullptr) {
    throw ConfigError("--run " + options.run_dir.string() + " is an embedding run, scored one at a time");
  }
  std::vector<Member> members;
  for (const fs::path& dir : options.members) members.push_back(OpenMember(dir, options, run, corpus, indices));
  const RunScoring scoring(run, config, corpus);
  const Scorer& scorer = scoring.scorer;
  Scored scored = scorer.Score(*run.checkpoint.model, indices);
  for (const Member& member : members) AddMemberOutputs(member, options, corpus, indices, &scored);
  if (!members.empty()) {
    for (auto& row : scored.predicted) {
      for (double& v : row) v /= static_cast<double>(members.size() + 1);
    }
  }
  nlohmann::json result = {{"run", options.run_dir.string()}, {"split", options.split}, {"items", indices.size()},
                           {"items_missing", lost}, {"task", run.task.task},
                           {"metrics", ComputeMetrics(run.task, scored.truth, scored.predicted)}};
  if (run.task.IsDynamic()) result["windows"] = scored.ids.size();
  if (!options.members.empty()) {
    result["members"] = nlohmann::json::array({options.run_dir.string()});
    for (const fs::path& member : options.members) result["members"].push_back(member.string());
  }
  if (auto* embedding = run.checkpoint.model->Embedding()) {
    const double lambda = SpecFromJson(run.checkpoint.meta.at("spec")).cca_weight;
    result["metrics"]["retrieval"] = EvaluateRetrieval(scorer, *embedding, lambda, parts, indices);
  }
  if (!options.predictions_csv.empty()) {
    const std::vector<std::string> truth_names = scored.times.empty() ? corpus.schema.names : run.task.outputs;
    WriteFileAtomically(options.predictions_csv, PredictionsCsv(scored, truth_names, run.task.outputs));
  }
  return result;
}

namespace {

// `mer predict --list` calls Predict once per chunk of songs (and once per run of an ensemble): each run is opened
// once and kept while its checkpoint and config are the files it was opened from (same device, inode, size and
// modification time), so chunks do not reload it. The caller shares the run, so a call that replaces it never pulls
// it from under another.
std::shared_ptr<const LoadedRun> OpenRunOnce(const fs::path& run_dir, const std::string& device) {
  struct Opened {
    std::vector<std::string> stamp;  // the two files' device, inode, size and mtime
    std::shared_ptr<const LoadedRun> run;
  };
  static std::mutex mutex;
  static auto* opened = new std::map<std::string, Opened>;  // never destroyed: LibTorch's statics may be gone at exit
  const RunFolder folder(run_dir);
  const std::string key = fs::absolute(run_dir).lexically_normal().string() + "\n" + device;
  std::vector<std::string> stamp;
  for (const fs::path& file : {folder.BestCheckpoint(), folder.ConfigFile()}) {
    struct stat st {};
    stamp.push_back(::stat(file.c_str(), &st) != 0 ? "?"  // OpenRun reports it
                                                    : std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                                                          std::to_string(st.st_size) + ":" +
                                                          std::to_string(st.st_mtim.tv_sec) + "." +
                                                          std::to_string(st.st_mtim.tv_nsec));
  }
  const std::lock_guard<std::mutex> lock(mutex);
  Opened& slot = (*opened)[key];
  if (!slot.run || slot.stamp != stamp) {
    slot.run.reset();
    slot.run = std::make_shared<const LoadedRun>(OpenRun(run_dir, device));
    slot.stamp = std::move(stamp);
  }
  return slot.run;
}

}  // namespace

std::vector<TrackPrediction> Predict(const PredictOptions& options, const std::vector<PredictInput>& inputs) {
  const std::shared_ptr<const LoadedRun> opened = OpenRunOnce(options.run_dir, options.device);
  const LoadedRun& run = *opened;
  if (options.hop_seconds < 0) throw ConfigError("--hop must be > 0 seconds");
  const double frames_per_second = run.FramesPerSecond();
  const int64_t hop = options.hop_seconds > 0 ? std::max<int64_t>(1, std::llround(options.hop_seconds * frames_per_second))
                                              : std::max<int64_t>(1, run.frames / 2);
  std::vector<TrackPrediction> out;
  torch::NoGradGuard no_grad;
  for (const auto& input : inputs) {
    TrackPrediction p;
    p.file = input.file;
    p.names = run.task.outputs;
    p.classification = run.task.IsClassification();
    p.error = input.error;
    if (!p.error.empty()) {
      out.push_back(std::move(p));
      continue;
    }
    const features::Spectrogram s = run.Input(input.spectrogram);
    if (!run.waveform && !run.feature_norm.mean.empty() && static_cast<std::size_t>(s.n_mels) != run.feature_norm.mean.size()) {
      throw InputError(input.file.string() + ": features have " + std::to_string(s.n_mels) + " mel bands, the model " +
                       std::to_string(run.feature_norm.mean.size()));
    }
    ForEachWindowBatch(s, run.frames, hop, run.waveform, [&](const std::vector<data::Example>& batch,
                                                             const std::vector<int64_t>& starts) {
      for (int64_t start : starts) {
        p.times.push_back((start + std::min<double>(run.frames, s.frames - start) / 2.0) / frames_per_second);
      }
      const torch::Tensor y = ToOutputSpace(run.checkpoint.model->forward(FeaturesTensor(batch, run.feature_norm, run.device)),
                                            run.task, run.normalizer)
                                  .to(torch::kCPU, torch::kDouble)
                                  .contiguous();
      for (int64_t r = 0; r < y.size(0); ++r) {
        p.curve.emplace_back(y[r].data_ptr<double>(), y[r].data_ptr<double>() + y.size(1));
      }
    });
    p.track.assign(p.names.size(), 0.0);
    for (const auto& row : p.curve) {
      for (std::size_t k = 0; k < row.size(); ++k) p.track[k] += row[k] / p.curve.size();
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace mer::train
