#include "mer/train/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include "mer/audio/decoder.h"
#include "mer/core/error.h"
#include "mer/core/strings.h"
#include "mer/core/file_io.h"
#include "mer/train/run_folder.h"

namespace mer::train {

namespace fs = std::filesystem;

namespace {
constexpr int kCacheFormat = 2;  // 2: the emotion encoder may be recurrent
constexpr double kVarianceFloor = 1e-6;  // as in models::KlMatrix

// What a cache may hold: finite values of a sane size (weights and embeddings of a trained model are far below
// 1e6; log variances beyond +-60 overflow the distance). A cache that does not check out is rebuilt.
void RequireSane(const std::vector<double>& values, double bound, const char* what) {
  for (const double v : values) {
    if (!std::isfinite(v) || std::abs(v) > bound) {
      throw std::runtime_error(std::string(what) + " holds " + std::to_string(v) + ", outside +-" +
                               std::to_string(static_cast<long long>(bound)));
    }
  }
}
constexpr double kWeightBound = 1e6;
constexpr double kLogSigmaBound = 60;

nlohmann::json DenseToJson(const EmotionEncoder::Dense& d) {
  return {{"in", d.in}, {"out", d.out}, {"weight", d.weight}, {"bias", d.bias}};
}
EmotionEncoder::Dense DenseFromJson(const nlohmann::json& j) {
  EmotionEncoder::Dense d;
  d.in = j.at("in").get<int>();
  d.out = j.at("out").get<int>();
  d.weight = j.at("weight").get<std::vector<double>>();
  d.bias = j.at("bias").get<std::vector<double>>();
  if (d.weight.size() != static_cast<std::size_t>(d.in) * d.out || d.bias.size() != static_cast<std::size_t>(d.out)) {
    throw std::runtime_error("dense layer sizes do not match");
  }
  RequireSane(d.weight, kWeightBound, "a dense layer");
  RequireSane(d.bias, kWeightBound, "a dense layer");
  return d;
}
}  // namespace

std::vector<double> EmotionEncoder::Dense::Apply(const std::vector<double>& x, bool relu) const {
  std::vector<double> y(bias);
  for (int o = 0; o < out; ++o) {
    for (int i = 0; i < in; ++i) y[o] += weight[static_cast<std::size_t>(o) * in + i] * x[i];
    if (relu) y[o] = std::max(0.0, y[o]);
  }
  return y;
}

std::vector<double> EmotionEncoder::Gru::MeanAndLast(const std::vector<double>& x, int steps) const {
  const auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  // The input is the same at every step: its projection is computed once.
  std::vector<double> gi(b_ih);
  for (int o = 0; o < 3 * hidden; ++o) {
    for (int i = 0; i < in; ++i) gi[o] += w_ih[static_cast<std::size_t>(o) * in + i] * x[i];
  }
  std::vector<double> h(static_cast<std::size_t>(hidden), 0.0), gh(static_cast<std::size_t>(3 * hidden));
  std::vector<double> out(static_cast<std::size_t>(2 * hidden), 0.0);
  for (int t = 0; t < steps; ++t) {
    for (int o = 0; o < 3 * hidden; ++o) {
      double s = b_hh[o];
      for (int i = 0; i < hidden; ++i) s += w_hh[static_cast<std::size_t>(o) * hidden + i] * h[i];
      gh[o] = s;
    }
    for (int k = 0; k < hidden; ++k) {
      const double r = sigmoid(gi[k] + gh[k]);
      const double z = sigmoid(gi[hidden + k] + gh[hidden + k]);
      const double n = std::tanh(gi[2 * hidden + k] + r * gh[2 * hidden + k]);
      h[k] = (1 - z) * n + z * h[k];
      out[k] += h[k] / steps;
    }
  }
  std::copy(h.begin(), h.end(), out.begin() + hidden);
  return out;
}

std::pair<std::vector<double>, std::vector<double>> EmotionEncoder::Encode(double valence_z, double arousal_z) const {
  const std::vector<double> h = steps > 0 ? hidden2.Apply(gru.MeanAndLast({valence_z, arousal_z}, steps), true)
                                          : hidden2.Apply(hidden1.Apply({valence_z, arousal_z}, true), true);
  return {mu.Apply(h, false), log_sigma.Apply(h, false)};
}

nlohmann::json EmotionEncoder::ToJson() const {
  nlohmann::json j = {{"hidden2", DenseToJson(hidden2)}, {"mu", DenseToJson(mu)}, {"log_sigma", DenseToJson(log_sigma)}};
  if (steps > 0) {
    j["gru"] = {{"in", gru.in},     {"hidden", gru.hidden}, {"steps", steps},       {"w_ih", gru.w_ih},
                {"w_hh", gru.w_hh}, {"b_ih", gru.b_ih},     {"b_hh", gru.b_hh}};
  } else {
    j["hidden1"] = DenseToJson(hidden1);
  }
  return j;
}

EmotionEncoder EmotionEncoder::FromJson(const nlohmann::json& j) {
  EmotionEncoder e;
  if (j.contains("gru")) {
    const nlohmann::json& g = j.at("gru");
    e.gru.in = g.at("in").get<int>();
    e.gru.hidden = g.at("hidden").get<int>();
    e.steps = g.at("steps").get<int>();
    e.gru.w_ih = g.at("w_ih").get<std::vector<double>>();
    e.gru.w_hh = g.at("w_hh").get<std::vector<double>>();
    e.gru.b_ih = g.at("b_ih").get<std::vector<double>>();
    e.gru.b_hh = g.at("b_hh").get<std::vector<double>>();
    const std::size_t gates = static_cast<std::size_t>(3 * e.gru.hidden);
    if (e.steps < 1 || e.gru.in != 2 || e.gru.w_ih.size() != gates * 2 ||
        e.gru.w_hh.size() != gates * static_cast<std::size_t>(e.gru.hidden) || e.gru.b_ih.size() != gates ||
        e.gru.b_hh.size() != gates) {
      throw std::runtime_error("recurrent layer sizes do not match");
    }
    if (e.steps > 10000) throw std::runtime_error("the recurrent layer runs " + std::to_string(e.steps) + " steps");
    for (const auto* values : {&e.gru.w_ih, &e.gru.w_hh, &e.gru.b_ih, &e.gru.b_hh}) {
      RequireSane(*values, kWeightBound, "the recurrent layer");
    }
  } else {
    e.hidden1 = DenseFromJson(j.at("hidden1"));
  }
  e.hidden2 = DenseFromJson(j.at("hidden2"));
  e.mu = DenseFromJson(j.at("mu"));
  e.log_sigma = DenseFromJson(j.at("log_sigma"));
  return e;
}

std::string CheckpointKey(const fs::path& run_dir) {
  const SongEmbedding stamp = FileStamp(RunFolder(run_dir).BestCheckpoint());
  return std::to_string(stamp.size) + ":" + std::to_string(stamp.mtime_ns);
}

SongEmbedding FileStamp(const fs::path& file) {
  std::error_code ec;
  SongEmbedding s;
  s.size = fs::file_size(file, ec);
  if (ec) throw InputError(file.string() + ": cannot read (" + ec.message() + ")");
  const auto time = fs::last_write_time(file, ec);
  if (ec) throw InputError(file.string() + ": cannot read (" + ec.message() + ")");
  s.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  return s;
}

void ReadSearchCacheContent(const nlohmann::json& j, SearchCache* cache_out) {
  SearchCache& cache = *cache_out;
  cache.emotion = EmotionEncoder::FromJson(j.at("emotion_encoder"));
  cache.normalizer = data::LabelNormalizer::FromJson(j.at("normalizer"));
  for (const auto& [file, s] : j.at("songs").items()) {
    SongEmbedding e;
    e.size = s.at("size").get<uintmax_t>();
    e.mtime_ns = s.at("mtime_ns").get<int64_t>();
    e.mu = s.at("mu").get<std::vector<double>>();
    e.log_sigma = s.at("log_sigma").get<std::vector<double>>();
    e.valence = s.at("valence").get<double>();
    e.arousal = s.at("arousal").get<double>();
    if (e.mu.size() != static_cast<std::size_t>(cache.emotion.mu.out) || e.log_sigma.size() != e.mu.size()) {
      throw std::runtime_error("an embedding of another size");
    }
    RequireSane(e.mu, kWeightBound, "an embedding");
    RequireSane(e.log_sigma, kLogSigmaBound, "an embedding's log variance");
    RequireSane({e.valence, e.arousal}, kWeightBound, "a song's valence/arousal");
    cache.songs[file] = std::move(e);
  }
}

SearchCache LoadSearchCache(const fs::path& run_dir) {
  SearchCache cache;
  cache.checkpoint_key = CheckpointKey(run_dir);
  const fs::path path = run_dir / "search_cache.json";
  std::error_code ec;
  // A link, FIFO or device planted under the cache's name is not read (a FIFO made search embed everything and then
  // fail to write): it is removed (the link, never its target) and the cache written anew; a folder is an error now,
  // before anything is embedded.
  const fs::file_status status = fs::symlink_status(path, ec);
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    if (fs::is_directory(status) || !fs::remove(path, ec)) {
      throw OutputError(path.string() + ": not a regular file and cannot be replaced; remove it");
    }
    std::cerr << "mer search: " << path.string() << " was not a regular file; writing the cache anew\n";
    return cache;
  }
  if (!fs::exists(path, ec)) return cache;
  try {
    const nlohmann::json j = nlohmann::json::parse(ReadFile(path));
    if (j.at("format").get<int>() != kCacheFormat || j.at("checkpoint").get<std::string>() != cache.checkpoint_key) {
      std::cerr << "mer search: " << path.string() << " was made with another checkpoint; embedding again\n";
      return cache;
    }
    ReadSearchCacheContent(j, &cache);
  } catch (const nlohmann::json::exception&) {
    std::cerr << "mer search: " << path.string() << " is unreadable; embedding again\n";
    return SearchCache{cache.checkpoint_key, {}, {}, {}};
  } catch (const std::exception& e) {
    std::cerr << "mer search: " << path.string() << " does not check out (" << e.what() << "); embedding again\n";
    return SearchCache{cache.checkpoint_key, {}, {}, {}};
  }
  return cache;
}

void SaveSearchCache(const fs::path& run_dir, const SearchCache& cache) {
  nlohmann::json songs = nlohmann::json::object();
  for (const auto& [file, e] : cache.songs) {
    // A name that is not UTF-8 (a Latin-1 file name) cannot be a JSON key as it is: not cached, embedded again next
    // time, never an error.
    if (Utf8Escaped(file) != file) continue;
    songs[file] = {{"size", e.size},         {"mtime_ns", e.mtime_ns}, {"mu", e.mu},
                   {"log_sigma", e.log_sigma}, {"valence", e.valence}, {"arousal", e.arousal}};
  }
  const nlohmann::json j = {{"format", kCacheFormat},
                            {"checkpoint", cache.checkpoint_key},
                            {"emotion_encoder", cache.emotion.ToJson()},
                            {"normalizer", cache.normalizer.ToJson()},
                            {"songs", songs}};
  WriteFileAtomically(run_dir / "search_cache.json", j.dump() + "\n");
}

std::vector<fs::path> ListAudioFiles(const fs::path& library) {
  std::error_code ec;
  if (!fs::is_directory(library, ec)) throw InputError(library.string() + ": not a folder");
  const std::vector<std::string>& extensions = audio::AudioFileExtensions();
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(library, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) {
      files.push_back(fs::absolute(it->path()).lexically_normal());
    }
  }
  if (ec) throw InputError(library.string() + ": cannot list (" + ec.message() + ")");
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<SearchHit> RankSongs(const SearchCache& cache, const std::vector<std::string>& files, double valence,
                                 double arousal) {
  const auto z = cache.normalizer.Normalize({static_cast<float>(valence), static_cast<float>(arousal)});
  const auto [emotion_mu, emotion_log_sigma] = cache.emotion.Encode(z[0], z[1]);
  std::vector<SearchHit> hits;
  for (const auto& file : files) {
    const auto it = cache.songs.find(file);
    if (it == cache.songs.end()) continue;
    const SongEmbedding& song = it->second;
    double kl = 0;
    for (std::size_t d = 0; d < song.mu.size(); ++d) {
      const double var_p = std::exp(song.log_sigma[d]) + kVarianceFloor;
      const double var_q = std::exp(emotion_log_sigma[d]) + kVarianceFloor;
      const double diff = song.mu[d] - emotion_mu[d];
      kl += std::log(var_q) - std::log(var_p) + (var_p + diff * diff) / var_q - 1.0;
    }
    hits.push_back({file, 0.5 * kl, song.valence, song.arousal});
  }
  std::sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.file < b.file;
  });
  return hits;
}

}  // namespace mer::train
