// The feature cache (hits, keys, corrupt and stale entries, concurrent writers) and the prefetching data loader
// (crops, windows, determinism across thread counts, errors).
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "data_test_util.h"
#include "mer/audio/decoder.h"
#include "mer/audio/writer.h"
#include "mer/data/data_loader.h"
#include "mer/data/feature_cache.h"
#include "mer/data/synth.h"
#include "support/test_support.h"

namespace mer::data {
namespace {

namespace fs = std::filesystem;

features::FrontendConfig SmallFrontend() {
  features::FrontendConfig c;
  c.n_mels = 32;
  c.n_fft = 1024;
  c.hop_length = 512;
  return c;
}

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    audio_ = dir_ / "song.wav";
    audio::WriteAudio(audio_, mer::test::WhiteNoise(22050, 3.0, 0.3, 1), 1, 22050, audio::Container::kWavFloat);
  }
  mer::test::TempDir dir_;
  fs::path audio_;
};

TEST_F(CacheTest, MissThenHitWithTheSameValues) {
  const FeatureCache cache(dir_ / "cache", SmallFrontend(), 0);  // disk only
  const features::Spectrogram first = cache.Get(audio_);
  const features::Spectrogram second = cache.Get(audio_);
  EXPECT_EQ(cache.stats().misses, 1u);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(first.values, second.values);
  const features::Frontend frontend(SmallFrontend());
  EXPECT_EQ(first.values, frontend.Compute(audio::DecodeMono(audio_).samples).values);
  EXPECT_TRUE(fs::exists(cache.EntryPath(audio_)));
}

TEST_F(CacheTest, MemoryCacheServesRepeatsAndStaysWithinItsBudget) {
  const std::size_t one = static_cast<std::size_t>(32 * (1 + 66150 / 512)) * sizeof(float);
  const FeatureCache cache(dir_ / "cache", SmallFrontend(), one + one / 2);  // room for one spectrogram
  const auto first = cache.Share(audio_);
  EXPECT_EQ(cache.Share(audio_).get(), first.get());  // the same object, no disk read
  EXPECT_EQ(cache.stats().memory_hits, 1u);
  const fs::path other = dir_ / "other.wav";
  audio::WriteAudio(other, mer::test::WhiteNoise(22050, 3.0, 0.3, 9), 1, 22050, audio::Container::kWavFloat);
  cache.Share(other);                                 // evicts the first
  EXPECT_NE(cache.Share(audio_).get(), first.get());  // reloaded (from disk)
  EXPECT_EQ(cache.stats().hits, 1u);
}

TEST_F(CacheTest, KeyFollowsFileIdentityAndFrontendConfig) {
  const FeatureCache cache(dir_ / "cache", SmallFrontend(), 0);  // disk only
  const fs::path before = cache.EntryPath(audio_);
  features::FrontendConfig other = SmallFrontend();
  other.n_mels = 40;
  EXPECT_NE(FeatureCache(dir_ / "cache", other).EntryPath(audio_), before);
  cache.Get(audio_);
  audio::WriteAudio(audio_, mer::test::WhiteNoise(22050, 2.0, 0.3, 2), 1, 22050, audio::Container::kWavFloat);
  EXPECT_NE(cache.EntryPath(audio_), before);  // new size and mtime: stale entry not used
  EXPECT_EQ(cache.Get(audio_).frames, 1 + 44100 / 512);
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST_F(CacheTest, TruncatedOrDamagedEntriesAreRecomputed) {
  const FeatureCache cache(dir_ / "cache", SmallFrontend(), 0);  // disk only
  const features::Spectrogram good = cache.Get(audio_);
  const fs::path entry = cache.EntryPath(audio_);
  std::string bytes = mer::test::ReadBytes(entry);
  mer::test::WriteBytes(entry, bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(cache.Get(audio_).values, good.values);
  EXPECT_EQ(cache.stats().rejected, 1u);
  EXPECT_EQ(mer::test::ReadBytes(entry), bytes);  // rewritten whole
  bytes[bytes.size() - 3] ^= 0x55;              // one flipped byte in the data
  mer::test::WriteBytes(entry, bytes);
  EXPECT_EQ(cache.Get(audio_).values, good.values);
  EXPECT_EQ(cache.stats().rejected, 2u);
  mer::test::WriteBytes(entry, "");
  EXPECT_EQ(cache.Get(audio_).values, good.values);
  EXPECT_EQ(cache.stats().rejected, 3u);
}

// A cache shared by users and nodes can hold anything under an entry's name: nothing but a regular file of a sane size
// is read (a FIFO would hang the reader, /dev/zero would grow it without bound, a folder aborted it), and the entry
// is recomputed and, where it can be, replaced by a regular file.
TEST_F(CacheTest, PlantedEntriesThatAreNotRegularFilesAreRecomputedNotRead) {
  const FeatureCache cache(dir_ / "cache", SmallFrontend(), 0);  // disk only
  const features::Spectrogram good = cache.Get(audio_);
  const fs::path entry = cache.EntryPath(audio_);
  const std::string header = mer::test::ReadBytes(entry).substr(0, 40);
  uint64_t rejected = 0;
  const auto plant = [&](const std::string& what, const std::function<void()>& make, bool replaced) {
    fs::remove_all(entry);
    make();
    EXPECT_EQ(cache.Get(audio_).values, good.values) << what;
    EXPECT_EQ(cache.stats().rejected, ++rejected) << what;
    if (replaced) {
      EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(entry))) << what;
      EXPECT_EQ(cache.Get(audio_).values, good.values) << what;  // and now read from it
      EXPECT_EQ(cache.stats().rejected, rejected) << what;
    }
  };
  plant("fifo", [&] { ASSERT_EQ(::mkfifo(entry.c_str(), 0600), 0); }, true);
  plant("link to /dev/zero", [&] { fs::create_symlink("/dev/zero", entry); }, true);
  plant("folder", [&] { fs::create_directories(entry / "inside"); }, false);
  // Its own header and a size past the bound (sparse: 1.5 GiB on disk costs nothing): refused before any value is read.
  plant("1.5 GiB entry", [&] {
    mer::test::WriteBytes(entry, header);
    fs::resize_file(entry, (uint64_t{3} << 29) + 40);
  }, true);
  EXPECT_EQ(cache.stats().misses, 5u);
}

TEST_F(CacheTest, ConcurrentWritersLeaveOneValidEntryAndNoTemporaries) {
  const features::Spectrogram expected = FeatureCache("", SmallFrontend()).Get(audio_);
  std::vector<std::thread> writers;
  std::vector<int> mismatches(8, 0);
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      const FeatureCache own(dir_ / "cache", SmallFrontend(), 0);  // separate objects, as separate processes would be
      for (int k = 0; k < 5; ++k) mismatches[w] += own.Get(audio_).values != expected.values;
    });
  }
  for (auto& t : writers) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "cache")) {
    if (e.is_regular_file()) {
      ++files;
      EXPECT_EQ(e.path().extension(), ".mel") << e.path();
    }
  }
  EXPECT_EQ(files, 1u);
  const FeatureCache reader(dir_ / "cache", SmallFrontend(), 0);
  reader.Get(audio_);
  EXPECT_EQ(reader.stats().hits, 1u);
}

TEST_F(CacheTest, AnUnwritableCacheCostsSpeedNotCorrectness) {
  mer::test::WriteBytes(dir_ / "blocked", "a file where the cache folder should be");
  const FeatureCache cache(dir_ / "blocked", SmallFrontend(), 0);
  EXPECT_EQ(cache.Get(audio_).frames, 1 + 66150 / 512);
  EXPECT_THROW(cache.Get(dir_ / "missing.wav"), InputError);
}

TEST(CutFrames, CopiesTheWindowAndPadsWithTheFloor) {
  features::Spectrogram s;
  s.n_mels = 2;
  s.frames = 5;
  s.values = {1, 2, 3, 4, 5, -1, -2, -3, -4, -5};  // floor -5
  EXPECT_EQ(CutFrames(s, 1, 3, 5), (std::vector<float>{2, 3, 4, -2, -3, -4}));
  EXPECT_EQ(CutFrames(s, 3, 4, 5), (std::vector<float>{4, 5, -5, -5, -4, -5, -5, -5}));
  EXPECT_EQ(CutFrames(s, 0, 3, 2), (std::vector<float>{1, 2, -5, -1, -2, -5}));  // nothing at or after `end`
}

TEST(CutFrames, PadsChromaRowsWithZeroAndMelRowsWithTheirFloor) {
  // A window past the end of a song: the dB floor in a chroma row would be, after standardisation, a pitch class
  // hundreds of times louder than any real one (a last evaluation window then decided the song).
  features::Spectrogram s;
  s.n_mels = 3;
  s.chroma = 1;
  s.frames = 3;
  s.values = {-10, -20, -30, -40, -50, -60, 0.5f, 1, 0.25f};  // mel floor -60, the chroma row in [0, 1]
  EXPECT_EQ(CutFrames(s, 1, 4, 3), (std::vector<float>{-20, -30, -60, -60, -50, -60, -60, -60, 1, 0.25f, 0, 0}));
  // An explicit pad is for the mel rows; chroma still pads with 0.
  EXPECT_EQ(CutFrames(s, 2, 2, 3, -7.0f), (std::vector<float>{-30, -7, -60, -7, 0.25f, 0}));
}

class LoaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mer::test::TempDir();
    SynthConfig c;
    c.dataset = "emomusic";
    c.songs = 10;
    c.seconds = 17;
    c.threads = 2;
    SynthesizeCorpus(c, dir_->path() / "corpus");
    corpus_ = new Corpus(test::Load("emomusic", dir_->path() / "corpus"));
    cache_ = new FeatureCache(dir_->path() / "cache", SmallFrontend());
  }
  static void TearDownTestSuite() {
    delete cache_;
    delete corpus_;
    delete dir_;
  }
  static std::vector<std::size_t> All() {
    std::vector<std::size_t> all(corpus_->size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
  static std::vector<Batch> Epoch(DataLoader& loader, int epoch) {
    loader.StartEpoch(epoch);
    std::vector<Batch> batches;
    while (auto b = loader.Next()) batches.push_back(std::move(*b));
    return batches;
  }
  static mer::test::TempDir* dir_;
  static Corpus* corpus_;
  static FeatureCache* cache_;
};
mer::test::TempDir* LoaderTest::dir_ = nullptr;
Corpus* LoaderTest::corpus_ = nullptr;
FeatureCache* LoaderTest::cache_ = nullptr;

TEST_F(LoaderTest, TrainingCropsCoverEveryItemOncePerEpoch) {
  LoaderOptions o;
  o.batch_size = 4;
  o.crop_frames = 100;
  o.workers = 3;
  DataLoader loader(*corpus_, All(), *cache_, o);
  const auto batches = Epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);  // 10 items in batches of 4
  std::multiset<std::size_t> seen;
  for (const auto& b : batches) {
    for (const auto& e : b.examples) {
      seen.insert(e.item);
      EXPECT_EQ(e.frames, 100);
      EXPECT_EQ(e.n_mels, 32);
      EXPECT_EQ(e.features.size(), 3200u);
      EXPECT_EQ(e.labels, corpus_->items[e.item].labels);
      const features::Spectrogram full = cache_->Get(corpus_->items[e.item].audio);
      EXPECT_LE(e.first_frame + 100, full.frames);
      EXPECT_EQ(e.features[5], full.at(0, e.first_frame + 5));  // the crop is the spectrogram's frames
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(seen.count(i), 1u);
}

std::vector<std::pair<std::size_t, int64_t>> Signature(const std::vector<Batch>& batches) {
  std::vector<std::pair<std::size_t, int64_t>> s;
  for (const auto& b : batches) {
    for (const auto& e : b.examples) s.emplace_back(e.item, e.first_frame);
  }
  return s;
}

TEST_F(LoaderTest, DeterministicForSeedAndEpochWhateverTheThreadCount) {
  LoaderOptions o;
  o.batch_size = 3;
  o.crop_frames = 64;
  o.seed = 99;
  o.workers = 1;
  DataLoader one(*corpus_, All(), *cache_, o);
  o.workers = 4;
  o.prefetch_batches = 2;
  DataLoader four(*corpus_, All(), *cache_, o);
  const auto a = Signature(Epoch(one, 3)), b = Signature(Epoch(four, 3));
  EXPECT_EQ(a, b);
  EXPECT_NE(Signature(Epoch(one, 4)), a);  // another epoch: another order and other crops
}


// Data-parallel sharding as PyTorch's DistributedSampler: 2 ranks of batch 2 see together, batch by batch, what one
// rank of batch 4 sees (same items, same crops); 3 ranks pad the 10 items to 12 by repeating the order's start.
TEST_F(LoaderTest, RanksShareTheEpochLikeDistributedSampler) {
  LoaderOptions o;
  o.crop_frames = 64;
  o.seed = 7;
  o.batch_size = 4;
  DataLoader whole(*corpus_, All(), *cache_, o);
  const auto all = Epoch(whole, 2);
  o.batch_size = 2;
  o.world = 2;
  o.rank = 0;
  DataLoader r0(*corpus_, All(), *cache_, o);
  o.rank = 1;
  DataLoader r1(*corpus_, All(), *cache_, o);
  const auto a = Epoch(r0, 2), b = Epoch(r1, 2);
  ASSERT_EQ(a.size(), all.size());
  ASSERT_EQ(b.size(), all.size());
  for (std::size_t k = 0; k < all.size(); ++k) {
    auto together = Signature({a[k], b[k]});
    auto expected = Signature({all[k]});
    std::sort(together.begin(), together.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(together, expected) << "batch " << k;
  }
  EXPECT_NE(Signature(a), Signature(b));
  o.world = 3;
  std::multiset<std::size_t> seen;
  for (int r = 0; r < 3; ++r) {
    o.rank = r;
    DataLoader loader(*corpus_, All(), *cache_, o);
    const auto sig = Signature(Epoch(loader, 2));
    EXPECT_EQ(sig.size(), 4u);
    for (const auto& [item, frame] : sig) seen.insert(item);
  }
  EXPECT_EQ(seen.size(), 12u);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_GE(seen.count(i), 1u);
  o.rank = 3;
  EXPECT_THROW(DataLoader(*corpus_, All(), *cache_, o), ConfigError);
}
TEST_F(LoaderTest, WindowsCoverTheWholeItemAndFullModeKeepsItWhole) {
  LoaderOptions o;
  o.mode = "windows";
  o.batch_size = 5;
  o.crop_frames = 200;
  o.hop_frames = 100;
  DataLoader windows(*corpus_, {0, 1}, *cache_, o);
  const auto batches = Epoch(windows, 0);
  const int64_t frames = cache_->Get(corpus_->items[0].audio).frames;  // 17 s -> 733 frames
  std::vector<int64_t> starts;
  for (const auto& b : batches) {
    for (const auto& e : b.examples) {
      if (e.item == 0) starts.push_back(e.first_frame);
    }
  }
  ASSERT_FALSE(starts.empty());
  EXPECT_EQ(starts.front(), 0);
  EXPECT_GE(starts.back() + 200, frames);
  EXPECT_LT(starts.back(), frames);
  o.mode = "full";
  DataLoader full(*corpus_, {0}, *cache_, o);
  const auto whole = Epoch(full, 0);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].examples[0].frames, frames);
}

TEST_F(LoaderTest, TheTransformAugmentsTrainingExamplesOnlyAndIsSeeded) {
  LoaderOptions o;
  o.batch_size = 4;
  o.crop_frames = 64;
  o.seed = 3;
  o.transform = [](Example& e, std::mt19937_64& rng) {
    for (float& v : e.features) v += static_cast<float>(rng() % 1000) + 5000.0f;  // far outside any log-mel value
  };
  DataLoader train(*corpus_, All(), *cache_, o);
  const auto a = Epoch(train, 0);
  for (const auto& b : a) {
    for (const auto& e : b.examples) EXPECT_GT(e.features[0], 4000.0f);
  }
  o.workers = 3;
  DataLoader again(*corpus_, All(), *cache_, o);
  const auto b = Epoch(again, 0);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (std::size_t k = 0; k < a[i].examples.size(); ++k) EXPECT_EQ(a[i].examples[k].features, b[i].examples[k].features);
  }
  for (const char* mode : {"windows", "full"}) {  // evaluation modes ignore it
    o.mode = mode;
    o.hop_frames = 64;
    DataLoader evaluation(*corpus_, {0, 1}, *cache_, o);
    for (const auto& batch : Epoch(evaluation, 0)) {
      for (const auto& e : batch.examples) {
        EXPECT_LT(e.features[0], 1000.0f) << mode;
        EXPECT_EQ(e.features[1], cache_->Get(corpus_->items[e.item].audio).at(0, e.first_frame + 1)) << mode;
      }
    }
  }
}

TEST_F(LoaderTest, WaveformEntriesAreTheDecodedAudio) {
  FeatureCache waves(dir_->path() / "cache", SmallFrontend(), std::size_t{64} << 20, FeatureKind::kWaveform);
  const features::Spectrogram w = waves.Get(corpus_->items[0].audio);
  EXPECT_EQ(w.n_mels, 1);
  EXPECT_NEAR(static_cast<double>(w.frames), 17.0 * 22050, 22050 * 0.05);
  EXPECT_DOUBLE_EQ(waves.FramesPerSecond(), 22050.0);
  EXPECT_DOUBLE_EQ(cache_->FramesPerSecond(), 22050.0 / 512);
  audio::DecodeOptions decode;
  decode.target_sample_rate = 22050;
  EXPECT_EQ(w.values, audio::DecodeMono(corpus_->items[0].audio, decode).samples);
  EXPECT_EQ(waves.Get(corpus_->items[0].audio).values, w.values);  // from the disk entry the second time
  // A crop past the end pads a waveform with silence, a log-mel with its floor.
  const auto crop = CutFrames(w, w.frames - 10, 20, w.frames, 0.0f);
  EXPECT_EQ(crop[15], 0.0f);
}

TEST_F(LoaderTest, SegmentItemsUseOnlyTheirFrames) {
  Corpus segments = *corpus_;
  segments.items.resize(1);
  segments.items[0].start_seconds = 2.0;
  segments.items[0].end_seconds = 5.0;
  LoaderOptions o;
  o.mode = "full";
  DataLoader loader(segments, {0}, *cache_, o);
  const auto batches = Epoch(loader, 0);
  const Example& e = batches.at(0).examples.at(0);
  EXPECT_NEAR(e.frames, 3.0 * 22050 / 512, 1.0);
  const features::Spectrogram full = cache_->Get(segments.items[0].audio);
  const int64_t first = std::llround(2.0 * 22050 / 512);
  EXPECT_EQ(e.features[0], full.at(0, first));
}

TEST_F(LoaderTest, NormalisedLabelsAndErrorsThatNameTheFile) {
  const LabelNormalizer n = LabelNormalizer::Fit(*corpus_, All());
  LoaderOptions o;
  o.batch_size = 10;
  DataLoader loader(*corpus_, All(), *cache_, o, n);
  const auto batches = Epoch(loader, 0);
  double mean = 0;
  for (const auto& e : batches[0].examples) mean += e.labels[0] / 10.0;
  EXPECT_NEAR(mean, 0.0, 1e-5);
  Corpus broken = *corpus_;
  broken.items[2].audio = dir_->path() / "gone.mp3";
  DataLoader failing(broken, All(), *cache_, o);
  failing.StartEpoch(0);
  try {
    while (failing.Next()) {
    }
    ADD_FAILURE() << "no error for a missing audio file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("gone.mp3: no such file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mer::data
