// Config fields declared once (mer/core/fields.h): one declaration reads, validates, resolves and documents a key;
// seeds and step counts are read as exact 64-bit integers; docs/config.md is what the declarations generate.
#include <filesystem>

#include <gtest/gtest.h>

#include "mer/core/error.h"
#include "mer/core/fields.h"
#include "mer/data/registry.h"
#include "mer/features/frontend_config.h"
#include "mer/train/run_config.h"
#include "support/test_support.h"

namespace mer {
namespace {

struct Toy {
  int size = 3;
  double rate = 0.5;
  std::string mode = "a";
  uint64_t seed = 1;
  int extra = 7;
};

const config::Fields<Toy>& ToyFields() {
  static const config::Fields<Toy> f = [] {
    config::Fields<Toy> t("toy");
    t.Add<int>("size", &Toy::size, [](const int& v) { return v >= 1 && v <= 9; }, "an integer in [1, 9]", "how many");
    t.Add<double>("rate", &Toy::rate, [](const double& v) { return v > 0; }, "a number > 0", "how fast");
    t.Choice("mode", &Toy::mode, {"a", "b"}, "which way");
    t.Count("seed", &Toy::seed, "the seed");
    t.Add<int>("extra", &Toy::extra, [](const int&) { return true; }, "an integer", "added later").OnlyWhenSet();
    return t;
  }();
  return f;
}

std::string ConfigErrorOf(const std::function<void()>& body) {
  try {
    body();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigFields, OneDeclarationReadsValidatesResolvesAndDocuments) {
  Toy t;
  ToyFields().Read(nlohmann::json::parse(R"({"size": 4, "mode": "b", "seed": 18446744073709551615})"), &t);
  EXPECT_EQ(t.size, 4);
  EXPECT_EQ(t.mode, "b");
  EXPECT_EQ(t.seed, 18446744073709551615ull);  // exact: not through a double
  EXPECT_DOUBLE_EQ(t.rate, 0.5);               // absent: the struct's default
  ToyFields().Validate(t);
  // Resolved: every key, except a later key at its default.
  const nlohmann::json resolved = ToyFields().ToJson(t);
  EXPECT_EQ(resolved.size(), 4u);
  EXPECT_FALSE(resolved.contains("extra"));
  t.extra = 8;
  EXPECT_EQ(ToyFields().ToJson(t)["extra"], 8);
  // Errors name section.key, the value and the declared rule; unknown keys list the declared ones.
  t.size = 12;
  EXPECT_EQ(ConfigErrorOf([&] { ToyFields().Validate(t); }), "toy.size = 12 is invalid: expected an integer in [1, 9]");
  EXPECT_NE(ConfigErrorOf([&] { ToyFields().Read(nlohmann::json::parse(R"({"mode": "c"})"), &t); }).find("toy.mode"),
            std::string::npos);
  EXPECT_EQ(ConfigErrorOf([&] { ToyFields().Read(nlohmann::json::parse(R"({"seed": -2})"), &t); }),
            "toy.seed = -2 is invalid: expected an integer >= 0");
  EXPECT_NE(ConfigErrorOf([&] { ToyFields().Read(nlohmann::json::parse(R"({"sise": 2})"), &t); })
                .find("valid keys of 'toy': size, rate, mode, seed, extra"),
            std::string::npos);
  // The docs row: key, default, rule, doc.
  EXPECT_NE(ToyFields().Markdown().find("| `toy.size` | `3` | an integer in [1, 9] | how many |"), std::string::npos);
}

TEST(ConfigFields, TheRunConfigSectionsAreDeclaredWithTheirRules) {
  nlohmann::json j = nlohmann::json::parse(test::ReadBytes(test::TestData("../configs/demo.json")));
  j["data"]["root"] = test::TestData(".").string();
  j["train"]["seed"] = 9007199254740993ull;  // 2^53 + 1: a double would round it
  j["train"]["max_steps"] = 5;
  const train::RunConfig c = train::ParseRunConfig(j);
  EXPECT_EQ(c.train.seed, 9007199254740993ull);
  EXPECT_EQ(c.resolved["train"]["seed"].get<uint64_t>(), 9007199254740993ull);
  EXPECT_EQ(c.train.max_steps, 5);
  EXPECT_FALSE(c.resolved["model"].contains("filters"));  // resolved as before the key existed
  // filters is adff's option: on another model it is an error naming the model that reads it.
  j["model"]["filters"] = 64;
  EXPECT_EQ(ConfigErrorOf([&] { train::ParseRunConfig(j); }),
            "model.filters = 64 is invalid with model quan_cnn: it is an option of adff");
  j["model"]["name"] = "adff";
  EXPECT_EQ(train::ParseRunConfig(j).resolved["model"]["filters"], 64);
  j["model"]["filters"] = 200;
  EXPECT_NE(ConfigErrorOf([&] { train::ParseRunConfig(j); }).find("model.filters = 200 is invalid"), std::string::npos);
}

struct Inner {
  int low = 1, high = 4;
  std::string how = "x|y";
};
struct Outer {
  Inner inner;
  std::filesystem::path path = "a/b";
};

// Keys held deeper in the struct, a rule that reads another key (with that key's value in the error), a path
// field, and table cells that stay one cell.
TEST(ConfigFields, NestedCrossFieldAndPathFields) {
  config::Fields<Outer> f("outer");
  f.Nested<int>("low", [](auto& o) -> auto& { return o.inner.low; }, config::Within(0, 100), "an integer in [0, 100]",
                "lower end");
  f.Nested<int>("high", [](auto& o) -> auto& { return o.inner.high; }, config::Within(0, 100), "an integer in [low, 100]",
                "upper end")
      .Where([](const Outer& o) { return o.inner.high >= o.inner.low; },
             [](const Outer& o) { return "an integer in [low = " + std::to_string(o.inner.low) + ", 100]"; });
  f.NestedChoice("how", [](auto& o) -> auto& { return o.inner.how; }, {"x|y", "z"}, "which | way");
  f.Path("path", [](auto& o) -> auto& { return o.path; }, "a path", "where");
  Outer o;
  f.Read(nlohmann::json::parse(R"({"low": 5, "how": "z", "path": "c/d"})"), &o);
  EXPECT_EQ(o.inner.low, 5);
  EXPECT_EQ(o.inner.how, "z");
  EXPECT_EQ(o.path, std::filesystem::path("c/d"));
  EXPECT_EQ(f.ToJson(o), nlohmann::json::parse(R"({"low": 5, "high": 4, "how": "z", "path": "c/d"})"));
  EXPECT_EQ(ConfigErrorOf([&] { f.Validate(o); }), "outer.high = 4 is invalid: expected an integer in [low = 5, 100]");
  o.inner.high = 101;  // the key's own rule first
  EXPECT_EQ(ConfigErrorOf([&] { f.Validate(o); }), "outer.high = 101 is invalid: expected an integer in [low, 100]");
  EXPECT_NE(ConfigErrorOf([&] { f.Read(nlohmann::json::parse(R"({"how": "w"})"), &o); }).find("outer.how"),
            std::string::npos);
  EXPECT_NE(f.Markdown().find(R"(| `outer.how` | `"x\|y"` | one of "x\|y", "z" | which \| way |)"), std::string::npos)
      << f.Markdown();
  EXPECT_EQ(f.Keys(), (std::vector<std::string>{"low", "high", "how", "path"}));
}

// Every section's keys are in the reference, with each dataset's own keys under it.
TEST(ConfigFields, TheReferenceListsEveryKeyOfEverySection) {
  const std::string doc = train::ConfigReferenceMarkdown();
  for (const char* key : {"data.split_file", "data.group_by_artist", "data.min_mood_songs", "data.label_columns",
                                 "data.audio_pattern", "frontend.win_length", "frontend.top_db", "frontend.chroma_fmax",
                                 "augment.mixup_alpha", "augment.freq_mask_width", "model.margin", "train.eval_hop"}) {
    EXPECT_NE(doc.find("| `" + std::string(key) + "` |"), std::string::npos) << key;
  }
  for (const std::string& dataset : data::RegisteredDatasets()) {
    EXPECT_NE(doc.find("### `" + dataset + "`"), std::string::npos) << dataset;
  }
  // The frontend's JSON (also the feature cache's key) has exactly its declared keys, the chroma ones and
  // mel_precision only when set (feature-cache keys of existing runs stay as they were).
  features::FrontendConfig frontend;
  nlohmann::json j = frontend;
  EXPECT_EQ(j.size(), features::FrontendFields().Keys().size() - 5);
  EXPECT_FALSE(j.contains("mel_precision"));
  frontend.chroma = 12;
  frontend.mel_precision = "float16";
  j = frontend;
  EXPECT_EQ(j.size(), features::FrontendFields().Keys().size());
  frontend.mel_precision = "float32";
  frontend.win_length = 4096;  // larger than n_fft: the rule names n_fft's value
  EXPECT_EQ(ConfigErrorOf([&] { frontend.Validate(); }),
            "frontend.win_length = 4096 is invalid: expected an integer in [1, n_fft = 2048] or null");
}

TEST(ConfigFields, DocsConfigMdIsWhatTheDeclarationsGenerate) {
  EXPECT_EQ(test::ReadBytes(test::TestData("../docs/config.md")), train::ConfigReferenceMarkdown())
      << "regenerate it: build/mer_config_docs > docs/config.md";
}

}  // namespace
}  // namespace mer
