// Replays every input kept under tests/fuzz/regressions/<target>/ (the seeds scripts/fuzz.sh starts from and the
// inputs that once found a bug) through its fuzz target: each must be refused with a mer::Error or accepted, never
// crash, throw anything else, or trip a target's own check (which aborts).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fuzz_targets.h"
#include "mer/core/error.h"
#include "mer/core/npy.h"
#include "task.h"

namespace mer::fuzz {
namespace {

namespace fs = std::filesystem;

}  // namespace

// gtest prints a parameter by its name (ctest lists the tests with it) rather than as raw bytes.
void PrintTo(const Target& target, std::ostream* os) { *os << target.name; }

namespace {

class Regressions : public ::testing::TestWithParam<Target> {};

TEST_P(Regressions, EveryKeptInputIsHandled) {
  const fs::path dir = fs::path(MER_FUZZ_REGRESSIONS_DIR) / GetParam().name;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  std::size_t inputs = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(GetParam().run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    ++inputs;
  }
  EXPECT_GE(inputs, 2u) << "each target keeps its seeds";
}

// What the run_meta target exercises, with its answers: a checkpoint's meta is interpreted and checked, never
// trusted (issue 17: a hand-edited or foreign meta is an InputError naming the file, not an internal error).
TEST(RunMeta, MalformedOrInconsistentMetaIsAnInputError) {
  std::ifstream in(fs::path(MER_FUZZ_REGRESSIONS_DIR) / "run_meta" / "clip_stats_4q_meta.json");
  const nlohmann::json good = nlohmann::json::parse(in);
  const train::RunMeta m = train::InterpretRunMeta(good, "run/best.pt");
  EXPECT_EQ(m.task.task, "classes");
  EXPECT_EQ(m.frames, 646);
  const auto error_of = [](const nlohmann::json& meta) -> std::string {
    try {
      train::InterpretRunMeta(meta, "run/best.pt");
    } catch (const InputError& e) {
      return e.what();
    }
    return "accepted";
  };
  nlohmann::json bad = good;
  bad["task"]["task"] = "bogus";
  EXPECT_EQ(error_of(bad), "run/best.pt: checkpoint meta does not check out (unknown task 'bogus')");
  bad = good;
  bad["feature_norm"]["std"][3] = 0.0;
  EXPECT_NE(error_of(bad).find("feature normalisation: band 3 has mean"), std::string::npos) << error_of(bad);
  bad = good;
  bad["task"] = 7;
  EXPECT_NE(error_of(bad).find("run/best.pt: checkpoint meta is malformed ("), std::string::npos) << error_of(bad);
  bad = good;
  bad["crop"] = -5;
  EXPECT_NE(error_of(bad).find("a model input of -5 columns"), std::string::npos) << error_of(bad);
  bad = good;
  bad["config"]["frontend"]["n_mels"] = 64;  // the normalisation was fitted on 96 bands
  EXPECT_NE(error_of(bad).find("feature normalisation for 96 bands, the frontend has 64"), std::string::npos) << error_of(bad);
  EXPECT_NE(error_of(nlohmann::json::array()).find("malformed"), std::string::npos);
}

// The npy target's finding (UBSan: memcpy from a null pointer for a shape with a zero dimension): such a file is an
// empty array of that shape.
TEST(Npy, AZeroDimensionIsAnEmptyArray) {
  const std::string bytes = EncodeNpy({0, 3}, nullptr);
  const NpyArray a = ParseNpy(bytes, "empty.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(a.data.empty());
  std::string huge = EncodeNpy({2}, std::vector<float>{1, 2}.data());
  huge.replace(huge.find("(2,)"), 4, "(99999999999999999999,)");
  EXPECT_THROW(ParseNpy(huge, "huge.npy"), InputError);
}

INSTANTIATE_TEST_SUITE_P(Targets, Regressions, ::testing::ValuesIn(Targets()),
                         [](const ::testing::TestParamInfo<Target>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace mer::fuzz
