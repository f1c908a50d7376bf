#include <fstream>

#include <gtest/gtest.h>

#include "mer/core/config.h"
#include "mer/features/frontend_config.h"
#include "support/test_support.h"

namespace mer {
namespace {

using config::Json;
using features::FrontendConfig;

// Runs `body`, expects a ConfigError, and returns its message.
template <typename F>
std::string ConfigErrorOf(F&& body) {
  try {
    body();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "messages are one line";
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError thrown";
  return "";
}

FrontendConfig Parse(const std::string& text) { return Json::parse(text).get<FrontendConfig>(); }

TEST(FrontendConfig, DefaultsAreLibrosas) {
  const FrontendConfig c = Parse("{}");
  EXPECT_EQ(c.sample_rate, 22050);
  EXPECT_EQ(c.n_fft, 2048);
  EXPECT_EQ(c.EffectiveWinLength(), 2048);
  EXPECT_EQ(c.hop_length, 512);
  EXPECT_EQ(c.n_mels, 128);
  EXPECT_EQ(c.fmin, 0.0);
  EXPECT_EQ(c.EffectiveFmax(), 11025.0);
  EXPECT_EQ(c.mel_scale, "slaney");
  EXPECT_EQ(c.norm, "slaney");
  EXPECT_EQ(c.power, 2.0);
  EXPECT_TRUE(c.center);
  EXPECT_EQ(c.pad_mode, "constant");
  EXPECT_EQ(c.log, "db");
  ASSERT_TRUE(c.top_db.has_value());
  EXPECT_EQ(*c.top_db, 80.0);
}

TEST(FrontendConfig, RoundTripsThroughJsonWithExactlyTheDocumentedKeys) {
  FrontendConfig c = Parse(R"({"sample_rate": 16000, "n_fft": 512, "win_length": 400, "hop_length": 160,
      "n_mels": 40, "fmin": 20, "fmax": 7600, "mel_scale": "htk", "norm": "none", "power": 1, "center": false,
      "pad_mode": "reflect", "log": "log1p", "log1p_scale": 100, "top_db": null})");
  const Json j = c;
  EXPECT_EQ(j.size(), 15u);
  const FrontendConfig back = j.get<FrontendConfig>();
  EXPECT_EQ(Json(back), j);
  EXPECT_EQ(back.win_length, 400);
  EXPECT_FALSE(back.top_db.has_value());
  EXPECT_EQ(back.log1p_scale, 100.0);
}

TEST(FrontendConfig, UnknownKeysAreRejectedListingTheValidOnes) {
  const std::string message = ConfigErrorOf([] { Parse(R"({"n_ftt": 1024})"); });
  EXPECT_NE(message.find("frontend.n_ftt"), std::string::npos) << message;
  for (const char* key : {"sample_rate", "n_fft", "win_length", "hop_length", "n_mels", "fmin", "fmax", "mel_scale",
                          "norm", "power", "center", "pad_mode", "log", "log1p_scale", "top_db"}) {
    EXPECT_NE(message.find(key), std::string::npos) << key << " missing from: " << message;
  }
}

TEST(FrontendConfig, InvalidValuesNameKeyValueAndRange) {
  struct Case {
    const char* json;
    std::vector<std::string> expected;
  };
  const Case cases[] = {
      {R"({"fmax": 12000})", {"frontend.fmax", "12000", "11025"}},
      {R"({"sample_rate": 16000, "fmax": 8001})", {"frontend.fmax", "8001", "8000"}},
      {R"({"hop_length": 0})", {"frontend.hop_length", "= 0", "[1,"}},
      {R"({"n_mels": 512, "n_fft": 512})", {"frontend.n_mels", "512", "[1, ", "without any FFT bin"}},
      {R"({"n_mels": 0})", {"frontend.n_mels", "= 0"}},
      {R"({"win_length": 4096})", {"frontend.win_length", "4096", "2048"}},
      {R"({"power": 3})", {"frontend.power", "3", "1 (magnitude) or 2"}},
      {R"({"mel_scale": "bark"})", {"frontend.mel_scale", "\"bark\"", "\"slaney\", \"htk\""}},
      {R"({"n_fft": "big"})", {"frontend.n_fft", "\"big\"", "integer"}},
      {R"({"n_fft": 1024.5})", {"frontend.n_fft", "1024.5", "integer"}},
      {R"({"center": 1})", {"frontend.center", "true or false"}},
      {R"({"top_db": -5})", {"frontend.top_db", "-5", "> 0"}},
      {R"({"fmin": 500, "fmax": 400})", {"frontend.fmax", "400", "fmin = 500"}},
      {R"({"log": "ln"})", {"frontend.log", "\"db\", \"log1p\", \"none\""}},
      {R"({"sample_rate": 0})", {"frontend.sample_rate", "= 0"}},
  };
  for (const Case& c : cases) {
    const std::string message = ConfigErrorOf([&] { Parse(c.json); });
    for (const auto& part : c.expected) EXPECT_NE(message.find(part), std::string::npos) << c.json << " -> " << message;
  }
}

TEST(FrontendConfig, LargestValidMelCountIsReported) {
  // n_fft 256 at 22050 Hz: the message's upper bound must itself be valid and one more must not be.
  const std::string message = ConfigErrorOf([] { Parse(R"({"n_fft": 256, "n_mels": 128})"); });
  const auto open = message.find("[1, ");
  ASSERT_NE(open, std::string::npos) << message;
  const int largest = std::stoi(message.substr(open + 4));
  EXPECT_GT(largest, 10);
  EXPECT_NO_THROW(Parse(R"({"n_fft": 256, "n_mels": )" + std::to_string(largest) + "}"));
  EXPECT_THROW(Parse(R"({"n_fft": 256, "n_mels": )" + std::to_string(largest + 1) + "}"), ConfigError);
}

TEST(ConfigOverrides, DottedKeysParseJsonOrPlainStrings) {
  Json root = Json::parse(R"({"frontend": {"n_mels": 128}})");
  config::ApplyOverrides(root, {"frontend.n_mels=64", "frontend.mel_scale=htk", "frontend.top_db=null",
                                "frontend.center=false", "frontend.fmin=30.5", "model.name=\"cnn\"", "a.b.c=[1,2]"});
  EXPECT_EQ(root["frontend"]["n_mels"], 64);
  EXPECT_EQ(root["frontend"]["mel_scale"], "htk");
  EXPECT_TRUE(root["frontend"]["top_db"].is_null());
  EXPECT_EQ(root["frontend"]["center"], false);
  EXPECT_EQ(root["frontend"]["fmin"], 30.5);
  EXPECT_EQ(root["model"]["name"], "cnn");
  EXPECT_EQ(root["a"]["b"]["c"], Json::parse("[1,2]"));
  const FrontendConfig c = features::FrontendConfigFromRunConfig(root);
  EXPECT_EQ(c.n_mels, 64);
  EXPECT_EQ(c.mel_scale, "htk");
}

TEST(ConfigOverrides, MalformedAssignmentsAreErrors) {
  Json root = Json::parse(R"({"frontend": 5})");
  EXPECT_NE(ConfigErrorOf([&] { config::ApplyOverride(root, "frontend.n_mels"); }).find("KEY=VALUE"), std::string::npos);
  EXPECT_NE(ConfigErrorOf([&] { config::ApplyOverride(root, "=3"); }).find("KEY=VALUE"), std::string::npos);
  EXPECT_NE(ConfigErrorOf([&] { config::ApplyOverride(root, "frontend.n_mels=3"); }).find("not an object"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf([&] { config::ApplyOverride(root, "a..b=3"); }).find("empty component"), std::string::npos);
}

TEST(ConfigFile, SyntaxErrorsNameFileLineAndColumn) {
  test::TempDir dir;
  const auto path = dir / "bad.json";
  std::ofstream(path) << "{\n  \"frontend\": {\n    \"n_mels\": 64,\n  }\n}\n";
  const std::string message = ConfigErrorOf([&] { config::LoadJsonFile(path); });
  EXPECT_NE(message.find(path.string() + ":4:"), std::string::npos) << message;
  EXPECT_NE(ConfigErrorOf([&] { config::LoadJsonFile(dir / "missing.json"); }).find("not found"), std::string::npos);
  EXPECT_NE(ConfigErrorOf([&] { config::LoadJsonFile(dir.path()); }).find("directory"), std::string::npos);
}

// Hostile configs: deep nesting is bounded (no recursion without end), numbers beyond a double are config errors
// naming the file or key, and a long value quoted in an error is cut so the message stays one readable line.
TEST(ConfigFile, DeepNestingHugeNumbersAndLongValuesAreOneLineErrors) {
  test::TempDir dir;
  const auto deep = dir / "deep.json";
  std::ofstream(deep) << std::string(80000, '[') << std::string(80000, ']');
  const std::string nested = ConfigErrorOf([&] { config::LoadJsonFile(deep); });
  EXPECT_NE(nested.find(deep.string() + ": JSON nested deeper than 64 levels"), std::string::npos) << nested.substr(0, 300);
  const auto big = dir / "big.json";  // larger than the 16 MiB a config may be: refused before it is read
  std::ofstream(big) << "{\"a\": \"" << std::string((16 << 20) + 10, 'x') << "\"}";
  EXPECT_NE(ConfigErrorOf([&] { config::LoadJsonFile(big); }).find("more than the limit of 16777216"), std::string::npos);
  const auto huge = dir / "huge.json";
  std::ofstream(huge) << R"({"train": {"lr": 1e400}})";
  const std::string overflow = ConfigErrorOf([&] { config::LoadJsonFile(huge); });
  EXPECT_EQ(overflow, huge.string() + ": a number is out of range (beyond a double)");
  config::Json root = config::Json::object();
  EXPECT_NE(ConfigErrorOf([&] { config::ApplyOverride(root, "train.lr=1e400"); }).find("--set train.lr: the number is out of range"),
            std::string::npos);
  EXPECT_NE(ConfigErrorOf([&] { config::ApplyOverride(root, "a=" + std::string(100, '[') + std::string(100, ']')); })
                .find("nested deeper than 64"),
            std::string::npos);
  const std::string long_value = ConfigErrorOf([] { config::ThrowInvalid("data.root", std::string(100000, 'x'), "a folder"); });
  EXPECT_LT(long_value.size(), 300u);
  EXPECT_NE(long_value.find("... (100002 characters)"), std::string::npos) << long_value;
  const std::string bad_utf8 = ConfigErrorOf([] { config::ThrowInvalid("data.root", std::string("a\xff"), "a folder"); });
  EXPECT_NE(bad_utf8.find("data.root = "), std::string::npos);
}

// Issue 17 case 10: duplicate keys (the JSON library keeps the last silently; a second section would replace the
// first), a NUL byte or newline in a value (messages stay whole and on one line), a symlink loop.
TEST(ConfigFile, DuplicateKeysNulBytesAndSymlinkLoopsAreClear) {
  test::TempDir dir;
  const auto dup = dir / "dup.json";
  std::ofstream(dup) << R"({"data": {"dataset": "emomusic"}, "train": {"lr": 0.1, "lr": 0.2}})";
  EXPECT_EQ(ConfigErrorOf([&] { config::LoadJsonFile(dup); }),
            dup.string() + ": key \"train.lr\" appears twice in one object (the last would silently win)");
  std::ofstream(dup) << R"({"data": {"dataset": "emomusic"}, "data": {"root": "x"}})";
  EXPECT_NE(ConfigErrorOf([&] { config::LoadJsonFile(dup); }).find("key \"data\" appears twice"), std::string::npos);
  std::ofstream(dup) << R"([{"a": 1}, {"a": 2}, {"b": {"a": 1, "c": [{"a": 1}]}}])";  // same key in sibling objects
  EXPECT_NO_THROW(config::LoadJsonFile(dup));
  config::Json root = config::Json::object();
  EXPECT_NE(ConfigErrorOf([&] { config::ApplyOverride(root, R"(model={"name": 1, "name": 2})"); })
                .find("--set model: in the value, key \"name\" appears twice"),
            std::string::npos);
  const std::string nul = ConfigError(std::string("unknown dataset 'a\0b\nc'", 23)).what();
  EXPECT_EQ(nul, "unknown dataset 'a\\0b\\nc'");
  std::filesystem::create_symlink(dir / "loop2.json", dir / "loop1.json");
  std::filesystem::create_symlink(dir / "loop1.json", dir / "loop2.json");
  EXPECT_NE(ConfigErrorOf([&] { config::LoadJsonFile(dir / "loop1.json"); }).find("loop1.json: cannot open: Too many levels"),
            std::string::npos);
}

}  // namespace
}  // namespace mer
