// frontend.learnable at initialisation equals the fixed frontend: against the torchaudio float64 golden files of
// the fixed frontend (tests/reference/make_frontend_golden.py, every case) and against mer's own fixed frontend on
// the real 1000 Songs clip; gradients stay finite on silence; trainable filters change under an optimiser and
// frozen ones do not.
#include <algorithm>
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "mer/core/npy.h"
#include "mer/features/frontend.h"
#include "mer/models/learnable_frontend.h"
#include "support/test_support.h"

namespace mer {
namespace {

using test::TestData;

nlohmann::json Manifest() {
  std::ifstream in(TestData("reference/frontend/cases.json"));
  return nlohmann::json::parse(in);
}

std::vector<float> RunLearnable(const features::FrontendConfig& config, const std::vector<float>& input,
                                torch::Dtype dtype) {
  models::LearnableFrontend frontend(config, true, true);
  frontend->to(dtype);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::tensor(input).to(dtype).view({1, 1, -1});
  const torch::Tensor y = frontend->forward(x).to(torch::kFloat).contiguous();
  return {y.data_ptr<float>(), y.data_ptr<float>() + y.numel()};
}

float ToDb(float x) { return 10.0f * std::log10(std::max(1e-10f, x)); }

// Worst |difference| over the bins within range_db of the reference's maximum (dB; log1p in log10 units).
double WorstDifference(const features::FrontendConfig& config, std::vector<float> got, std::vector<float> ref,
                       double range_db) {
  EXPECT_EQ(got.size(), ref.size());
  if (config.log == "none") {
    std::transform(ref.begin(), ref.end(), ref.begin(), ToDb);
    std::transform(got.begin(), got.end(), got.begin(), ToDb);
  }
  const float peak = *std::max_element(ref.begin(), ref.end());
  const float lowest = config.log == "log1p" ? -INFINITY : peak - static_cast<float>(range_db);
  double worst = 0;
  for (std::size_t i = 0; i < std::min(got.size(), ref.size()); ++i) {
    EXPECT_TRUE(std::isfinite(got[i]));
    if (ref[i] >= lowest) worst = std::max(worst, std::abs(double(got[i]) - ref[i]));
  }
  return worst;
}

TEST(LearnableFrontend, AtInitialisationEqualsTheTorchaudioGoldenFilesInFloat64) {
  const nlohmann::json manifest = Manifest();
  ASSERT_EQ(manifest["cases"].size(), 11u);
  for (const auto& c : manifest["cases"]) {
    const auto config = c["frontend"].get<features::FrontendConfig>();
    const NpyArray input = LoadNpy(TestData("reference/frontend/" + c["input"].get<std::string>()));
    const NpyArray golden = LoadNpy(TestData("reference/frontend/" + c["name"].get<std::string>() + ".npy"));
    const double tolerance = config.log == "log1p" ? 1e-4 : manifest["tolerance_db"].get<double>();
    const double worst = WorstDifference(config, RunLearnable(config, input.data, torch::kDouble), golden.data,
                                         manifest["range_db"].get<double>());
    EXPECT_LE(worst, tolerance) << c["name"];
    RecordProperty(c["name"].get<std::string>() + "_worst", std::to_string(worst));
  }
}

TEST(LearnableFrontend, AtInitialisationEqualsTheFixedFrontendOnRealAudio) {
  const NpyArray input = LoadNpy(TestData("reference/frontend/input_real_44100.npy"));
  for (const std::string log : {"db", "log1p"}) {
    features::FrontendConfig config;
    config.sample_rate = 44100;
    config.log = log;
    const features::Spectrogram fixed = features::Frontend(config).Compute(input.data);
    const double tolerance = log == "db" ? 1e-3 : 1e-4;
    const double worst64 = WorstDifference(config, RunLearnable(config, input.data, torch::kDouble), fixed.values, 80);
    EXPECT_LE(worst64, tolerance) << log;
    // float32, as it trains: the same tolerance.
    const double worst32 = WorstDifference(config, RunLearnable(config, input.data, torch::kFloat), fixed.values, 80);
    EXPECT_LE(worst32, tolerance) << log;
    RecordProperty("worst_float64_" + log, std::to_string(worst64));
    RecordProperty("worst_float32_" + log, std::to_string(worst32));
    std::cout << log << ": worst difference float64 " << worst64 << ", float32 " << worst32 << "\n";
  }
}

TEST(LearnableFrontend, GradientsStayFiniteOnSilenceAndTones) {
  for (const double power : {1.0, 2.0}) {
    features::FrontendConfig config;
    config.n_fft = 512;
    config.hop_length = 256;
    config.n_mels = 32;
    config.power = power;
    models::LearnableFrontend frontend(config, true, true);
    std::vector<float> audio(8000, 0.0f);  // silence, then a tone
    const auto tone = test::Sine(440, config.sample_rate, 0.5);
    audio.insert(audio.end(), tone.begin(), tone.end());
    const torch::Tensor x = torch::tensor(audio).view({1, 1, -1});
    const torch::Tensor y = frontend->forward(x);
    ASSERT_TRUE(torch::isfinite(y).all().item<bool>());
    y.mean().backward();
    EXPECT_TRUE(torch::isfinite(frontend->stft_kernels.grad()).all().item<bool>()) << "power " << power;
    EXPECT_TRUE(torch::isfinite(frontend->mel_matrix.grad()).all().item<bool>()) << "power " << power;
  }
}

TEST(LearnableFrontend, TrainableFiltersChangeAndFrozenOnesDoNot) {
  features::FrontendConfig config;
  config.n_fft = 512;
  config.hop_length = 256;
  config.n_mels = 24;
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({4, 1, 8192}) * 0.1;
  for (const bool trainable : {true, false}) {
    models::LearnableFrontend frontend(config, trainable, trainable);
    const torch::Tensor kernels = frontend->stft_kernels.detach().clone(), mel = frontend->mel_matrix.detach().clone();
    const torch::Tensor target = frontend->forward(x).detach() + 3.0;  // louder: the filters must grow
    // A trainable offset after the frontend, so that backward() runs through it in both cases and the optimiser
    // holds the frontend's tensors too: a frozen filter that still took gradients would move here.
    torch::Tensor offset = torch::zeros({1}, torch::requires_grad());
    std::vector<torch::Tensor> parameters = {offset, frontend->stft_kernels, frontend->mel_matrix};
    torch::optim::Adam optimiser(parameters, torch::optim::AdamOptions(1e-3));
    double first_loss = 0, last_loss = 0;
    for (int step = 0; step < 20; ++step) {
      optimiser.zero_grad();
      const torch::Tensor loss = torch::mse_loss(frontend->forward(x) + offset, target);
      loss.backward();
      optimiser.step();
      (step == 0 ? first_loss : last_loss) = loss.item<double>();
    }
    EXPECT_GT(offset.abs().item<double>(), 1e-3) << "the backward pass ran";
    EXPECT_LT(last_loss, first_loss);
    const double kernel_change = (frontend->stft_kernels - kernels).abs().max().item<double>();
    const double mel_change = (frontend->mel_matrix - mel).abs().max().item<double>();
    if (trainable) {
      EXPECT_GT(kernel_change, 1e-3);
      EXPECT_GT(mel_change, 1e-4);
    } else {
      EXPECT_EQ(kernel_change, 0.0);
      EXPECT_EQ(mel_change, 0.0);
      EXPECT_FALSE(frontend->stft_kernels.requires_grad());
      EXPECT_FALSE(frontend->stft_kernels.grad().defined() && frontend->stft_kernels.grad().abs().sum().item<double>() > 0);
    }
  }
}

}  // namespace
}  // namespace mer
