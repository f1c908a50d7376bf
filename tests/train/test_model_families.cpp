// The model families beyond the spectrogram CNNs, end to end from the CLI on a synthetic corpus: adff (multi-task VA
// regression) and emb_cl (embedding with retrieval both ways, mer search with its cache), and every committed
// config trains a step on a synthetic corpus of its dataset.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace mer {
namespace {

namespace fs = std::filesystem;
using test::RunMer;

using test::Q;
using test::ReadJson;

class ModelFamilies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto r = RunMer("data synth --dataset emomusic --out " + Q(*dir_ / "emo") + " --songs 200 --seconds 20 --seed 5");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path Config(const std::string& name, const nlohmann::json& changes = nlohmann::json::object()) {
    return test::WriteDemoConfig(dir_->path(), name, *dir_ / "emo", changes.dump());
  }
  // The first `count` songs of the corpus (sorted by name) copied into a new folder `name` (into `name`/sub for
  // every second song when `nested`); the folder.
  static fs::path Library(const std::string& name, std::size_t count, bool nested = false) {
    std::vector<fs::path> songs;
    for (const auto& song : fs::directory_iterator(*dir_ / "emo/clips_45seconds")) songs.push_back(song.path());
    std::sort(songs.begin(), songs.end());
    EXPECT_GE(songs.size(), count);
    const fs::path library = *dir_ / name;
    fs::create_directories(library / "sub");
    for (std::size_t i = 0; i < count && i < songs.size(); ++i) {
      fs::copy_file(songs[i], library / (nested && i % 2 ? "sub" : "") / songs[i].filename());
    }
    return library;
  }
  static test::TempDir* dir_;
};
test::TempDir* ModelFamilies::dir_ = nullptr;

TEST_F(ModelFamilies, AdffLearnsValenceAndArousalWithTheQuadrantTask) {
  const fs::path run = *dir_ / "adff";
  const nlohmann::json changes = {{"model", {{"name", "adff"}, {"channels", 4}, {"quadrant_weight", 0.3}}},
                                  {"train", {{"batch_size", 16}}}};
  const auto r = RunMer("train --config " + Q(Config("adff", changes)) + " --out " + Q(run) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("adff (337670 parameters)"), std::string::npos) << r.err;
  const auto metrics = ReadJson(run / "metrics.json");
  // LibTorch 2.11 draws other initial weights than 1.13 did: on this small test part the same recipe lands at
  // valence 0.62 / arousal 0.95 (validation 0.90 / 0.94), so the bar is on the mean and each output clearly learns.
  EXPECT_GE(metrics["test"]["r2"].get<double>(), 0.7) << metrics.dump();
  EXPECT_GE(metrics["test"]["valence"]["r2"].get<double>(), 0.5) << metrics.dump();
  EXPECT_GE(metrics["test"]["arousal"]["r2"].get<double>(), 0.5) << metrics.dump();
  // The quadrant head exists only for training: predictions are valence/arousal.
  const auto p = RunMer("predict --run " + Q(run) + " --json " + Q(*dir_ / "emo/clips_45seconds/2.mp3"));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(nlohmann::json::parse(p.out)[0]["track"].size(), 2u);
  // Too few frames per channel for four pooling stages is a config error naming the sizes (adff's descriptor, before
  // any audio is decoded).
  const auto bad = RunMer("train --config " + Q(Config("adff_bad", changes)) + " --set model.channels=32 --out " +
                          Q(*dir_ / "adff_bad"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("model.input_frames = 215 is invalid: expected an integer in [512, 100000] for adff (16 frames "
                         "for each of the model.channels time slices)"),
            std::string::npos)
      << bad.err;
}

TEST_F(ModelFamilies, EmbClRetrievesBothWaysAndSearchesALibrary) {
  const fs::path run = *dir_ / "emb_cl";
  const nlohmann::json changes = {{"model", {{"name", "emb_cl"}, {"embedding_dim", 16}}}, {"train", {{"batch_size", 16}}}};
  const auto r = RunMer("train --config " + Q(Config("emb_cl", changes)) + " --out " + Q(run) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto metrics = ReadJson(run / "metrics.json");
  for (const char* direction : {"music_to_emotion", "emotion_to_music"}) {
    const auto& m = metrics["test"]["retrieval"][direction];
    ASSERT_TRUE(m.is_object()) << metrics.dump();
    EXPECT_GE(m["mrr"].get<double>(), 3 * m["chance_mrr"].get<double>()) << direction << ": " << m.dump();
    EXPECT_LE(m["mean_rank"].get<double>(), m["candidates"].get<double>() / 4) << direction << ": " << m.dump();
  }
  // Valence/arousal from the music side alone.
  EXPECT_GE(metrics["test"]["valence"]["r2"].get<double>(), 0.6) << metrics.dump();
  EXPECT_GE(metrics["test"]["arousal"]["r2"].get<double>(), 0.7) << metrics.dump();
  const auto e = RunMer("eval --run " + Q(run) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(nlohmann::json::parse(e.out)["metrics"]["retrieval"]["music_to_emotion"]["mrr"].get<double>(),
              metrics["test"]["retrieval"]["music_to_emotion"]["mrr"].get<double>(), 1e-9);
  // The authors' composite distance: lambda = model.cca_weight (0.5 by default) with the linear CCA of the training
  // part; eval fits the same CCA again from split.json, so both ways agree with the training report.
  const auto& retrieval = metrics["test"]["retrieval"];
  EXPECT_EQ(retrieval["lambda"].get<double>(), 0.5) << retrieval.dump();
  EXPECT_EQ(retrieval["corr_p"].get<double>(), 0.4) << retrieval.dump();
  ASSERT_EQ(retrieval["cca_train_correlations"].size(), 16u) << retrieval.dump();
  EXPECT_GT(retrieval["cca_train_correlations"][0].get<double>(), 0.4) << retrieval.dump();
  EXPECT_NEAR(nlohmann::json::parse(e.out)["metrics"]["retrieval"]["emotion_to_music"]["mean_rank"].get<double>(),
              retrieval["emotion_to_music"]["mean_rank"].get<double>(), 1e-9);

  // search: a library of 40 songs plus a broken file; the best matches for a happy, energetic query lean that way.
  const fs::path library = Library("library", 40, true);
  test::WriteBytes(library / "broken.mp3", "not audio");
  const std::string query = "search --run " + Q(run) + " --library " + Q(library) + " --valence 7.5 --arousal 7.5 --top 5 --json";
  const auto first = RunMer(query);
  EXPECT_EQ(first.exit_code, 1) << first.err;  // the broken file is reported, the rest ranked
  EXPECT_NE(first.err.find("broken.mp3"), std::string::npos) << first.err;
  const auto hits = nlohmann::json::parse(first.out);
  ASSERT_EQ(hits["results"].size(), 5u) << first.out;
  EXPECT_EQ(hits["songs"].get<int>(), 40);
  double mean_valence = 0, mean_arousal = 0;
  for (const auto& h : hits["results"]) mean_valence += h["valence"].get<double>() / 5, mean_arousal += h["arousal"].get<double>() / 5;
  EXPECT_GT(mean_valence, 5.5) << first.out;
  EXPECT_GT(mean_arousal, 5.5) << first.out;
  ASSERT_TRUE(fs::exists(run / "search_cache.json"));
  // Second query: everything cached; it runs without the LibTorch plugin and agrees with the first ranking.
  fs::remove(library / "broken.mp3");
  const auto second = RunMer(query, "MER_TORCH_PLUGIN=/nonexistent/libmer_torch.so");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto again = nlohmann::json::parse(second.out);
  EXPECT_EQ(again["embedded"].get<int>(), 0);
  EXPECT_EQ(again["results"], hits["results"]);
  // The opposite emotion puts other songs first.
  const auto sad = RunMer("search --run " + Q(run) + " --library " + Q(library) + " --valence 2 --arousal 2 --top 1 --json");
  ASSERT_EQ(sad.exit_code, 0) << sad.err;
  EXPECT_NE(nlohmann::json::parse(sad.out)["results"][0]["file"], hits["results"][0]["file"]);
  EXPECT_LT(nlohmann::json::parse(sad.out)["results"][0]["valence"].get<double>(), 4.5) << sad.out;
  // A run that does not embed, and bad arguments, are one-line errors.
  ASSERT_EQ(RunMer("train --config " + Q(Config("small", {{"train", {{"epochs", 1}}}})) + " --out " + Q(*dir_ / "small")).exit_code, 0);
  const auto wrong = RunMer("search --run " + Q(*dir_ / "small") + " --library " + Q(library) + " --valence 1 --arousal 1");
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("mer search needs an emb_cl run"), std::string::npos) << wrong.err;
  EXPECT_EQ(std::count(wrong.err.begin(), wrong.err.end(), '\n'), 1) << wrong.err;
  const auto no_library = RunMer("search --run " + Q(run) + " --library " + Q(*dir_ / "nowhere") + " --valence 1 --arousal 1");
  EXPECT_EQ(no_library.exit_code, 1);
  EXPECT_NE(no_library.err.find("nowhere: not a folder"), std::string::npos) << no_library.err;
  // A corrupted cache is rebuilt, not fatal.
  test::WriteBytes(run / "search_cache.json", "{\"format\": 1, \"songs\": [");
  const auto rebuilt = RunMer(query);
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_NE(rebuilt.err.find("search_cache.json is unreadable; embedding again"), std::string::npos) << rebuilt.err;
  EXPECT_EQ(nlohmann::json::parse(rebuilt.out)["results"], hits["results"]);
  // Issue 32, minor: a FIFO planted as the cache is replaced, not read (it made search embed all, then fail).
  fs::remove(run / "search_cache.json");
  ASSERT_EQ(::mkfifo((run / "search_cache.json").c_str(), 0644), 0);
  const auto fifo = RunMer(query);
  EXPECT_EQ(fifo.exit_code, 0) << fifo.err;
  EXPECT_NE(fifo.err.find("was not a regular file; writing the cache anew"), std::string::npos) << fifo.err;
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(run / "search_cache.json")));
  EXPECT_EQ(nlohmann::json::parse(fifo.out)["results"], hits["results"]);
  // A folder there cannot be replaced: one line before anything is embedded, the folder left as it was.
  fs::remove(run / "search_cache.json");
  fs::create_directories(run / "search_cache.json" / "theirs");
  const auto folder = RunMer(query);
  EXPECT_EQ(folder.exit_code, 1) << folder.err;
  EXPECT_NE(folder.err.find("search_cache.json: not a regular file and cannot be replaced"), std::string::npos) << folder.err;
  EXPECT_TRUE(fs::is_directory(run / "search_cache.json" / "theirs"));
  fs::remove_all(run / "search_cache.json");
  ASSERT_EQ(RunMer(query).exit_code, 0);  // the cache written anew for what follows
  // Issue 17 case 7: valid JSON with absurd values (a 1e308 embedding, a zero standard deviation) is not trusted.
  const nlohmann::json good = nlohmann::json::parse(test::ReadBytes(run / "search_cache.json"));
  nlohmann::json huge = good;
  for (auto& v : huge["songs"].begin().value()["mu"]) v = 1e308;
  nlohmann::json flat = good;
  flat["normalizer"]["std"][0] = 0.0;
  for (const auto& [name, cache] : {std::pair{"an embedding holds", huge}, std::pair{"label normalisation", flat}}) {
    test::WriteBytes(run / "search_cache.json", cache.dump());
    const auto checked = RunMer(query);
    EXPECT_EQ(checked.exit_code, 0) << checked.err;
    EXPECT_NE(checked.err.find("search_cache.json does not check out (" + std::string(name)), std::string::npos)
        << checked.err;
    EXPECT_EQ(nlohmann::json::parse(checked.out)["results"], hits["results"]);
  }
}

// The dynamic setting: the emotion side is a GRU over each window's valence/arousal curve; retrieval is scored per
// annotated window against its own stretch of the curve, and mer search reads a query as a constant curve.
TEST_F(ModelFamilies, EmbClWithARecurrentEmotionEncoderRetrievesWindows) {
  const fs::path run = *dir_ / "emb_cl_gru";
  const nlohmann::json changes = {
      {"model", {{"name", "emb_cl"}, {"task", "dynamic"}, {"emotion_encoder", "gru"}, {"input_frames", 108}, {"embedding_dim", 16}}},
      {"train", {{"batch_size", 16}}}};
  const auto r = RunMer("train --config " + Q(Config("emb_cl_gru", changes)) + " --out " + Q(run) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto metrics = ReadJson(run / "metrics.json");
  const auto& retrieval = metrics["test"]["retrieval"];
  EXPECT_EQ(retrieval["level"], "window") << retrieval.dump();
  EXPECT_GT(retrieval["rows"].get<int>(), 20) << retrieval.dump();
  for (const char* direction : {"music_to_emotion", "emotion_to_music"}) {
    const auto& m = retrieval[direction];
    EXPECT_EQ(m["candidates"], retrieval["rows"]) << m.dump();
    EXPECT_GE(m["mrr"].get<double>(), 2.5 * m["chance_mrr"].get<double>()) << direction << ": " << m.dump();
    EXPECT_LE(m["mean_rank"].get<double>(), m["candidates"].get<double>() / 4) << direction << ": " << m.dump();
  }
  EXPECT_GE(metrics["test"]["arousal"]["r2"].get<double>(), 0.6) << metrics.dump();
  const auto e = RunMer("eval --run " + Q(run) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(nlohmann::json::parse(e.out)["metrics"]["retrieval"]["emotion_to_music"]["mrr"].get<double>(),
              retrieval["emotion_to_music"]["mrr"].get<double>(), 1e-9);
  // An embedding run is scored one at a time: as an ensemble (`eval --run A --run B`) it is refused in one line.
  const auto both = RunMer("eval --run " + Q(run) + " --run " + Q(run));
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_NE(both.err.find("emb_cl_gru is an embedding run, scored one at a time"), std::string::npos) << both.err;
  EXPECT_EQ(std::count(both.err.begin(), both.err.end(), '\n'), 1) << both.err;
  // search with the exported recurrent encoder: the cached second query (no LibTorch) ranks as the first.
  const fs::path library = Library("library_gru", 12);
  const std::string query = "search --run " + Q(run) + " --library " + Q(library) + " --valence 0.5 --arousal 0.5 --json";
  const auto first = RunMer(query);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto second = RunMer(query, "MER_TORCH_PLUGIN=/nonexistent/libmer_torch.so");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(nlohmann::json::parse(second.out)["embedded"].get<int>(), 0);
  EXPECT_EQ(nlohmann::json::parse(second.out)["results"], nlohmann::json::parse(first.out)["results"]);
  EXPECT_EQ(nlohmann::json::parse(first.out)["results"].size(), 10u);
  // The recurrent encoder needs curves: with a static task it is a config error naming the key.
  const auto bad = RunMer("train --config " + Q(Config("emb_cl_gru_static", changes)) + " --set model.task=auto --out " +
                          Q(*dir_ / "emb_cl_gru_static"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("model.emotion_encoder = \"gru\" reads valence/arousal curves"), std::string::npos) << bad.err;
  // Issue 30, item 3: train.retrieval_rows: song scores one row per song (its windows' music embeddings averaged,
  // its whole curve through the recurrent encoder), as EMER-CL's authors do; eval gives the same numbers.
  const fs::path songs = *dir_ / "emb_cl_gru_songs";
  const auto per_song = RunMer("train --config " + Q(Config("emb_cl_gru_songs", changes)) +
                               " --set train.epochs=3 --set train.retrieval_rows=song --out " + Q(songs));
  ASSERT_EQ(per_song.exit_code, 0) << per_song.err;
  const nlohmann::json song_level = ReadJson(songs / "metrics.json")["test"]["retrieval"];
  EXPECT_EQ(song_level["level"], "track") << song_level.dump();
  EXPECT_EQ(song_level["rows"].get<std::size_t>(), ReadJson(songs / "split.json")["test"].size()) << song_level.dump();
  EXPECT_EQ(song_level["music_to_emotion"]["candidates"], song_level["rows"]);
  const auto song_eval = RunMer("eval --run " + Q(songs) + " --json");
  ASSERT_EQ(song_eval.exit_code, 0) << song_eval.err;
  EXPECT_NEAR(nlohmann::json::parse(song_eval.out)["metrics"]["retrieval"]["music_to_emotion"]["mrr"].get<double>(),
              song_level["music_to_emotion"]["mrr"].get<double>(), 1e-9);
}

TEST_F(ModelFamilies, RawCnnLearnsFromTheWaveform) {
  const fs::path run = *dir_ / "raw_cnn";
  const nlohmann::json changes = {{"model", {{"name", "raw_cnn"}, {"input_frames", 44100}}},
                                  {"train", {{"epochs", 40}, {"batch_size", 16}, {"lr", 0.001}}}};
  const auto r = RunMer("train --config " + Q(Config("raw_cnn", changes)) + " --out " + Q(run) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("raw_cnn (324402 parameters)"), std::string::npos) << r.err;
  const auto metrics = ReadJson(run / "metrics.json");
  // Valence 0.80-0.84 measured over three seeds (0.62-0.70 before the RMS level split, which this bound catches).
  EXPECT_GE(metrics["test"]["valence"]["r2"].get<double>(), 0.7) << metrics.dump();
  EXPECT_GE(metrics["test"]["arousal"]["r2"].get<double>(), 0.7) << metrics.dump();
  // Prediction reads the waveform too: 2 s windows over a 20 s song every second.
  const auto p = RunMer("predict --run " + Q(run) + " --json --hop 1 " + Q(*dir_ / "emo/clips_45seconds/2.mp3"));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto prediction = nlohmann::json::parse(p.out)[0];
  EXPECT_GE(prediction["curve"].size(), 18u);
  EXPECT_GT(prediction["track"]["valence"].get<double>(), 0.5);
  // Spectrogram masks make no sense without a spectrogram.
  const auto bad = RunMer("train --config " + Q(Config("raw_bad", changes)) + " --set augment.time_masks=2 --out " + Q(*dir_ / "raw_bad"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("it has no spectrogram"), std::string::npos) << bad.err;
}

// The UWU paper's best combination: raw_cnn's multi-scale 1-D stack over the learnable spectrogram, classifying
// quadrants (its task). 2 s windows; 0.59 test accuracy after 20 epochs when written (chance 0.25).
TEST_F(ModelFamilies, RawCnnOverTheLearnableFrontendClassifiesQuadrants) {
  const fs::path run = *dir_ / "raw_learnable";
  const nlohmann::json changes = {{"frontend", {{"n_fft", 1024}, {"hop_length", 256}, {"n_mels", 64}, {"center", true}, {"learnable", true}}},
                                  {"model", {{"name", "raw_cnn"}, {"task", "quadrants"}, {"input_frames", 44100}}},
                                  {"train", {{"epochs", 12}, {"batch_size", 16}, {"lr", 0.001}}}};
  const auto r = RunMer("train --config " + Q(Config("raw_learnable", changes)) + " --out " + Q(run) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The stems are gone: 64 mel channels into the multi-scale block, plus the learnable STFT and mel matrix.
  EXPECT_NE(r.err.find("raw_cnn (1406308 parameters)"), std::string::npos) << r.err;
  const auto metrics = ReadJson(run / "metrics.json");
  EXPECT_GE(metrics["test"]["accuracy"].get<double>(), 0.45) << metrics.dump();
  const auto p = RunMer("predict --run " + Q(run) + " " + Q(*dir_ / "emo/clips_45seconds/2.mp3"));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find(" Q1 0."), std::string::npos) << p.out;
}

TEST_F(ModelFamilies, LearnableFrontendTrainsAndItsFiltersMove) {
  const fs::path run = *dir_ / "learnable";
  const nlohmann::json changes = {{"frontend", {{"learnable", true}}}};
  const auto r = RunMer("train --config " + Q(Config("learnable", changes)) + " --out " + Q(run) + " --device cpu" +
                        " --set train.epochs=30 --set train.batch_size=16 --set train.lr=0.001");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto metrics = ReadJson(run / "metrics.json");
  EXPECT_GE(metrics["test"]["valence"]["r2"].get<double>(), 0.7) << metrics.dump();
  EXPECT_GE(metrics["test"]["arousal"]["r2"].get<double>(), 0.7) << metrics.dump();
  EXPECT_EQ(ReadJson(run / "config.json")["frontend"]["learnable"],
            nlohmann::json({{"train_stft", true}, {"train_mel", true}}));
  const auto e = RunMer("eval --run " + Q(run) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(nlohmann::json::parse(e.out)["metrics"]["r2"].get<double>(), metrics["test"]["r2"].get<double>(), 1e-6);
  const auto p = RunMer("predict --run " + Q(run) + " " + Q(*dir_ / "emo/clips_45seconds/2.mp3"));
  EXPECT_EQ(p.exit_code, 0) << p.err;
  // Wrong shapes of the option are config errors naming it.
  const auto bad = RunMer("train --config " + Q(Config("learnable_bad", nlohmann::json::parse(R"({"frontend": {"learnable": {"train_fft": true}}})"))) +
                          " --out " + Q(*dir_ / "learnable_bad"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown key 'frontend.learnable.train_fft'"), std::string::npos) << bad.err;
}

// frontend.learnable around emb_cl: the wrapped model still embeds (retrieval, search from the waveform).
TEST_F(ModelFamilies, LearnableFrontendAroundEmbClRetrievesAndSearches) {
  const fs::path run = *dir_ / "learnable_emb_cl";
  const nlohmann::json changes = {{"frontend", {{"learnable", true}}},
                                  {"model", {{"name", "emb_cl"}, {"embedding_dim", 16}}},
                                  {"train", {{"epochs", 8}, {"batch_size", 16}}}};
  const auto r = RunMer("train --config " + Q(Config("learnable_emb_cl", changes)) + " --out " + Q(run) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto metrics = ReadJson(run / "metrics.json");
  const auto& retrieval = metrics["test"]["retrieval"];
  for (const char* direction : {"music_to_emotion", "emotion_to_music"}) {
    const auto& m = retrieval[direction];
    ASSERT_TRUE(m.is_object()) << metrics.dump();
    EXPECT_GE(m["mrr"].get<double>(), 2 * m["chance_mrr"].get<double>()) << direction << ": " << m.dump();
  }
  const auto e = RunMer("eval --run " + Q(run) + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(nlohmann::json::parse(e.out)["metrics"]["retrieval"]["emotion_to_music"]["mrr"].get<double>(),
              retrieval["emotion_to_music"]["mrr"].get<double>(), 1e-9);
  const fs::path library = Library("library_learnable", 6);
  const std::string query = "search --run " + Q(run) + " --library " + Q(library) + " --valence 7 --arousal 7 --json";
  const auto first = RunMer(query);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(nlohmann::json::parse(first.out)["results"].size(), 6u);
  const auto second = RunMer(query, "MER_TORCH_PLUGIN=/nonexistent/libmer_torch.so");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(nlohmann::json::parse(second.out)["results"], nlohmann::json::parse(first.out)["results"]);
}

TEST_F(ModelFamilies, AugmentedTrainingIsSeededAndEvaluationIsNot) {
  const nlohmann::json changes = {
      {"train", {{"epochs", 2}, {"workers", 2}}},
      {"augment", {{"gain_db", 6}, {"noise_probability", 0.5}, {"time_shift", 0.2}, {"pitch_shift", 2},
                   {"time_stretch", 0.1}, {"mixup_alpha", 0.4}, {"time_masks", 2}, {"freq_masks", 2}}}};
  const fs::path config = Config("augmented", changes);
  for (const char* name : {"aug_a", "aug_b"}) {
    const auto r = RunMer("train --config " + Q(config) + " --out " + Q(*dir_ / name) + " --device cpu");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // The same seed: the same augmented batches, the same model, whatever the loader threads' timing.
  EXPECT_EQ(ReadJson(*dir_ / "aug_a/metrics.json"), ReadJson(*dir_ / "aug_b/metrics.json"));
  EXPECT_EQ(ReadJson(*dir_ / "aug_a/config.json")["augment"]["pitch_shift"], 2);
  // Another seed augments differently.
  const auto c = RunMer("train --config " + Q(config) + " --set train.seed=9 --out " + Q(*dir_ / "aug_c"));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(ReadJson(*dir_ / "aug_a/metrics.json")["test"], ReadJson(*dir_ / "aug_c/metrics.json")["test"]);
  // Evaluation is not augmented: eval of the run reproduces its test metrics (to float32 rounding: eval batches
  // the windows otherwise than training's report, 1.6e-8 seen with LibTorch 2.11; augmentation would move it by far more).
  const auto e = RunMer("eval --run " + Q(*dir_ / "aug_a") + " --json");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(nlohmann::json::parse(e.out)["metrics"]["r2"].get<double>(),
              ReadJson(*dir_ / "aug_a/metrics.json")["test"]["r2"].get<double>(), 1e-6);
  const auto bad = RunMer("train --config " + Q(config) + " --set augment.gain=3 --out " + Q(*dir_ / "aug_bad"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown key 'augment.gain'"), std::string::npos) << bad.err;
}

// Every committed run config is valid and trains one step on a small synthetic corpus of its dataset.
TEST_F(ModelFamilies, EveryCommittedConfigTrainsAStep) {
  int checked = 0;
  std::map<std::string, fs::path> corpora;
  for (const auto& entry : fs::directory_iterator(test::TestData("../configs"))) {
    const nlohmann::json config = ReadJson(entry.path());
    if (!config.contains("model")) continue;  // frontend-only configs
    const auto corpus = [&](const std::string& dataset) {
      if (!corpora.count(dataset)) {
        const fs::path root = *dir_ / ("small_" + dataset);
        const auto s = RunMer("data synth --dataset " + dataset + " --out " + Q(root) + " --songs 12 --seconds 20 --seed 2");
        EXPECT_EQ(s.exit_code, 0) << s.err;
        corpora[dataset] = root;
      }
      return corpora[dataset].string();
    };
    // The synthetic corpus has the dataset's own layout: the paper configs' audio folders are dropped.
    nlohmann::json small = config;
    if (small["data"].contains("datasets")) {  // pooled: every part on its own small corpus
      for (auto& part : small["data"]["datasets"]) {
        part.erase("audio_dir");
        part["root"] = corpus(part["dataset"].get<std::string>());
      }
    } else {
      small["data"].erase("audio_dir");
      small["data"]["root"] = corpus(small["data"]["dataset"].get<std::string>());
    }
    small["data"]["split"] = "ratio";
    small["data"]["cache_dir"] = (*dir_ / "cache_small").string();
    const fs::path path = *dir_ / entry.path().filename();
    std::ofstream(path) << small.dump(2);
    const fs::path run = *dir_ / ("config_" + entry.path().stem().string());
    const auto r = RunMer("train --config " + Q(path) + " --set train.max_steps=1 --set train.epochs=1 --out " + Q(run));
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err;
    // The ADFF paper configs are VGG's full width (model.filters 64): 4,989,302 parameters, not the 337,670 of ours.
    if (entry.path().stem().string().rfind("adff_", 0) == 0 && entry.path().stem().string().find("_paper") != std::string::npos) {
      EXPECT_NE(r.err.find("adff (4989302 parameters)"), std::string::npos) << entry.path() << "\n" << r.err;
    }
    ++checked;
  }
  EXPECT_GE(checked, 11);
}

}  // namespace
}  // namespace mer
