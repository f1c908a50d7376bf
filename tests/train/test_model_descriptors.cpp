// The LibTorch-free model descriptors (src/models/*_info.cpp) agree with the modules they describe: the same
// names, and the smallest input a descriptor declares is one the module builds and runs on (and, where the module
// has its own bound, one frame or sample less is refused by both).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mer/core/error.h"
#include "mer/models/descriptor.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

ModelSpec SpecFor(const ModelDescriptor& d, int64_t frames) {
  ModelSpec spec;
  spec.frames = frames;
  spec.n_mels = d.input == InputKind::kWaveform ? 1 : 40;
  spec.outputs = 2;
  spec.task = "regression";
  return spec;
}

TEST(ModelDescriptors, EveryModuleHasOneAndEveryOneAModule) {
  RegisterBuiltinModels();
  EXPECT_EQ(RegisteredModels(), DescribedModels());
  EXPECT_EQ(DescribedModels().size(), 8u);
}

TEST(ModelDescriptors, TheSmallestInputIsTheModulesOwn) {
  RegisterBuiltinModels();
  for (const std::string& name : DescribedModels()) {
    SCOPED_TRACE(name);
    const ModelDescriptor& d = DescriptorOf(name);
    const int64_t smallest = d.min_input(nlohmann::json::object());  // the defaults the ModelSpec also has
    const ModelSpec spec = SpecFor(d, smallest);
    std::shared_ptr<EmotionModel> model;
    ASSERT_NO_THROW(model = CreateModel(name, spec));
    model->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor y = model->forward(torch::randn({2, spec.n_mels, smallest}));
    EXPECT_EQ(y.size(0), 2);
    if (name != "clip_stats") {  // clip_stats itself reads 4 frames; the config's floor of 8 is the common one
      EXPECT_THROW(CreateModel(name, SpecFor(d, smallest - 1)), ConfigError);
    }
  }
}

TEST(ModelDescriptors, OptionsAndTasks) {
  EXPECT_TRUE(DescriptorOf("adff").Reads("channels"));
  EXPECT_FALSE(DescriptorOf("quan_cnn").Reads("channels"));
  EXPECT_TRUE(DescriptorOf("emb_cl").Learns("dynamic"));
  EXPECT_FALSE(DescriptorOf("emb_cl").Learns("tagging"));
  EXPECT_EQ(DescriptorOf("adff").min_input({{"channels", 2}}), 32);
  EXPECT_EQ(DescriptorOf("emb_cl").min_input({{"music_encoder", "gru"}}), 8);
  EXPECT_NE(DescriptorOf("adff").no_mixup({{"quadrant_weight", 0.3}}), "");
  EXPECT_EQ(DescriptorOf("adff").no_mixup({{"quadrant_weight", 0.0}}), "");
  EXPECT_EQ(FindDescriptor("resnet"), nullptr);
  try {
    DescriptorOf("resnet");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "unknown model 'resnet'; registered: adff, clip_stats, emb_cl, liu_cnn, quan_cnn, "
                           "quan_cnn_deep, raw_cnn, stats_head");
  }
}

// Each option is declared once, by the model that reads it: the section's keys are the four common ones followed by
// the descriptors' own, a model reads exactly what it declares, and a checkpoint's spec carries every option by key
// and gives it back.
TEST(ModelDescriptors, EachOptionIsDeclaredByItsModel) {
  std::vector<std::string> expected = {"name", "task", "input_frames", "dropout"};
  for (const std::string& name : DescribedModels()) {
    const ModelDescriptor& d = DescriptorOf(name);
    EXPECT_EQ(d.options, d.option_fields.Keys()) << name;
    for (const std::string& key : d.options) expected.push_back(key);
  }
  EXPECT_EQ(ModelFields().Keys(), expected);
  EXPECT_EQ(DescriptorOf("adff").options, (std::vector<std::string>{"channels", "quadrant_weight", "filters"}));
  EXPECT_TRUE(DescriptorOf("quan_cnn").options.empty());

  ModelOptions changed;
  changed.channels = 3;
  changed.quadrant_weight = 0.25;
  changed.filters = 32;
  changed.embedding_dim = 7;
  changed.music_encoder = "gru";
  changed.emotion_encoder = "bigru";
  changed.cca_weight = 0.125;
  changed.margin = 2.5;
  const nlohmann::json j = ModelOptionsToJson(changed);
  EXPECT_EQ(j.size(), expected.size() - 4);  // every option, also filters (left out of the resolved config at 16)
  EXPECT_EQ(ModelOptionsToJson(ModelOptionsFromJson(j)), j);
  EXPECT_EQ(ModelOptionsFromJson(j).margin, 2.5);
  EXPECT_EQ(ModelOptionsFromJson(j).music_encoder, "gru");
  // Keys a spec holds beside the options are ignored; absent options keep their defaults.
  const ModelOptions partial = ModelOptionsFromJson({{"n_mels", 96}, {"channels", 2}});
  EXPECT_EQ(partial.channels, 2);
  EXPECT_EQ(partial.filters, 16);
  EXPECT_THROW(ModelOptionsFromJson({{"channels", "two"}}), ConfigError);
}

}  // namespace
}  // namespace mer::models
