// `mer search`: rank the songs of a folder by how well they match an emotion, with an emb_cl run. Every song's
// music Gaussian is computed once (by the LibTorch plugin) and cached in RUN/search_cache.json together with the
// run's emotion encoder, exported as plain dense layers: a query whose songs are all cached needs no LibTorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mer/data/split.h"

namespace mer::train {

// The emb_cl emotion encoder, weights copied from the run: "mlp" (two ReLU layers) or "gru" (a GRU over the query
// read as a constant curve of `steps` points, its mean and last output, one ReLU layer), then the mean and
// log-variance heads.
struct EmotionEncoder {
  struct Dense {
    int in = 0, out = 0;
    std::vector<double> weight;  // [out][in], row-major
    std::vector<double> bias;    // [out]
    std::vector<double> Apply(const std::vector<double>& x, bool relu) const;
  };
  // torch::nn::GRU's single layer: gates r, z, n stacked in that order, as in its weight_ih_l0 / weight_hh_l0.
  struct Gru {
    int in = 0, hidden = 0;
    std::vector<double> w_ih, w_hh, b_ih, b_hh;  // [3 * hidden][in], [3 * hidden][hidden], [3 * hidden] x 2
    // The same input `x` for `steps` steps from a zero state -> mean over steps | last output, [2 * hidden].
    std::vector<double> MeanAndLast(const std::vector<double>& x, int steps) const;
  };
  Dense hidden1, hidden2, mu, log_sigma;  // "gru": hidden1 unused, hidden2 reads the GRU's [2 * hidden]
  Gru gru;
  int steps = 0;  // > 0: the recurrent encoder
  // z-scored valence/arousal -> (mean, log-variance), [dim] each.
  std::pair<std::vector<double>, std::vector<double>> Encode(double valence_z, double arousal_z) const;
  nlohmann::json ToJson() const;
  static EmotionEncoder FromJson(const nlohmann::json& j);
};

struct SongEmbedding {
  uintmax_t size = 0;
  int64_t mtime_ns = 0;
  std::vector<double> mu, log_sigma;  // the music Gaussian, averaged over the song's windows
  double valence = 0, arousal = 0;    // the song's valence/arousal estimate (the dataset's scale)
};

struct SearchCache {
  std::string checkpoint_key;  // best.pt's size and mtime: a changed checkpoint invalidates the cache
  EmotionEncoder emotion;
  data::LabelNormalizer normalizer;
  std::map<std::string, SongEmbedding> songs;  // by absolute path
  bool HasEncoder() const { return !emotion.mu.weight.empty(); }
};

// The key of RUN/best.pt; InputError when it is missing.
std::string CheckpointKey(const std::filesystem::path& run_dir);
// RUN/search_cache.json, or an empty cache (with a warning on stderr when the file exists but is unreadable or was
// made with another checkpoint).
SearchCache LoadSearchCache(const std::filesystem::path& run_dir);
// The checks LoadSearchCache applies to the cache's content once its format and checkpoint match: fills `cache`
// from `j` or throws (nlohmann::json::exception for a wrong shape, std::runtime_error / mer::Error for values that
// do not check out). Exposed for the fuzzer.
void ReadSearchCacheContent(const nlohmann::json& j, SearchCache* cache);
void SaveSearchCache(const std::filesystem::path& run_dir, const SearchCache& cache);

// Audio files under `library` (recursive, by extension), sorted; InputError when it is not a folder.
std::vector<std::filesystem::path> ListAudioFiles(const std::filesystem::path& library);
// File size and modification time, as the cache compares them.
SongEmbedding FileStamp(const std::filesystem::path& file);

struct SearchHit {
  std::string file;
  double distance = 0;  // KL(music || emotion): smaller is a better match
  double valence = 0, arousal = 0;
};
// Songs ranked for the emotion (valence, arousal in the dataset's scale) by the emotion -> music distance the
// rank loss trains, KL(N(music) || N(emotion)); ties broken by path.
std::vector<SearchHit> RankSongs(const SearchCache& cache, const std::vector<std::string>& files, double valence,
                                 double arousal);

}  // namespace mer::train
