// raw_cnn: a 1-D CNN on the raw waveform, after "Music Emotion Recognition using Deep Neural Networks" (PMEmo):
// 5 s chunks of mono audio at 22,050 Hz (model.input_frames counts samples; windows overlap by half at evaluation).
//  - level split: each window is divided by its own RMS and the log-RMS joins the dense layer. Loudness follows
//    arousal over 20 dB, and without this the pitch/harmony features the stems learn for valence shrink tenfold on
//    quiet songs; with it valence R² on the synthetic corpus rose from 0.62-0.70 to 0.80-0.84 (three seeds each),
//    arousal unchanged (it still reads the level);
//  - stem: three Conv1d(1 -> 16) of widths 64, 256 and 1024 samples in parallel, stride 16 (a learned filterbank
//    from onsets to pitch: a 64-sample kernel cannot tell a low major third from a minor one, which cost valence),
//    concatenated (48 channels), batch norm + ReLU + max-pool 4;
//  - multi-scale block: three Conv1d(48 -> 32) of widths 3, 9 and 27 in parallel, concatenated (96 channels),
//    batch norm + ReLU + max-pool 4;
//  - Conv1d(96 -> 128, width 9) + batch norm + ReLU + max-pool 4;
//  - adaptive average pooling to 8 steps (any input length gives the same size), with the log-RMS: dense 128 + ReLU,
//    dropout, outputs
//    (valence/arousal regression, or the four quadrants).
// Behind frontend.learnable (the paper's best combination: 1-D convolutions over a learnable spectrogram) the model
// reads the learnable frontend's standardised log-mel [batch, n_mels, frames] instead: no stems and no level split
// (the log-mel carries the level); the multi-scale block takes the mel bands as channels, then the same layers.
#include "mer/core/error.h"
#include "mer/models/model.h"

namespace mer::models {
namespace {

constexpr int kPooledSteps = 8;
constexpr int kStemChannels = 16;  // per stem width
constexpr double kSilence = 1e-8;  // added to the mean square: a silent window stays finite (level log(1e-4))

struct RawCnnImpl : EmotionModel {
  explicit RawCnnImpl(const ModelSpec& spec) : spectrogram(spec.learnable_frontend) {
    if (spectrogram) {
      if (spec.frames < 4 * 4 * 2) {
        throw ConfigError("raw_cnn behind frontend.learnable needs windows of >= 32 spectrogram frames (model.input_frames "
                          "samples give " + std::to_string(spec.frames) + "): raise it or lower frontend.hop_length");
      }
      BuildTail(spec, spec.n_mels, 0);
      return;
    }
    if (spec.n_mels != 1) throw ConfigError("raw_cnn reads the waveform (one channel), not a spectrogram");
    if (spec.frames < 16 * 4 * 4 * 4 * 2) throw ConfigError("raw_cnn needs input_frames >= 2048 samples");
    // Three stems of widths 64, 256 and 1024 samples (3 to 46 ms at 22.05 kHz: onsets to pitch), stride 16.
    for (int width : {64, 256, 1024}) {
      stems.push_back(register_module("stem" + std::to_string(width),
                                      torch::nn::Conv1d(torch::nn::Conv1dOptions(1, kStemChannels, width).stride(16).padding((width - 64) / 2))));
    }
    stem_bn = register_module("stem_bn", torch::nn::BatchNorm1d(3 * kStemChannels));
    BuildTail(spec, 3 * kStemChannels, 1);
  }
  // The multi-scale block, the last convolution and the dense layers, over `in` channels; `extra` inputs (the
  // log-RMS) join the dense layer.
  void BuildTail(const ModelSpec& spec, int in, int extra) {
    for (int width : {3, 9, 27}) {
      branches.push_back(register_module("branch" + std::to_string(width),
                                         torch::nn::Conv1d(torch::nn::Conv1dOptions(in, 32, width).padding(width / 2))));
    }
    branch_bn = register_module("branch_bn", torch::nn::BatchNorm1d(96));
    conv = register_module("conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(96, 128, 9).padding(4)));
    conv_bn = register_module("conv_bn", torch::nn::BatchNorm1d(128));
    dense = register_module("dense", torch::nn::Linear(128 * kPooledSteps + extra, 128));
    dropout = register_module("dropout", torch::nn::Dropout(spec.dropout));
    head = register_module("head", torch::nn::Linear(128, spec.outputs));
  }
  // x: [batch, 1, samples], or behind the learnable frontend [batch, n_mels, frames]
  torch::Tensor forward(torch::Tensor x) override {
    if (spectrogram) return Tail(x, torch::Tensor());
    const torch::Tensor rms = (x.pow(2).mean(-1, /*keepdim=*/true) + kSilence).sqrt();  // [batch, 1, 1]
    x = x / rms;
    std::vector<torch::Tensor> stem_outputs;
    for (auto& stem : stems) stem_outputs.push_back(stem->forward(x));
    x = torch::max_pool1d(torch::relu(stem_bn->forward(torch::cat(stem_outputs, 1))), 4);
    return Tail(x, rms.log().flatten(1));
  }
  torch::Tensor Tail(torch::Tensor x, const torch::Tensor& level) {
    std::vector<torch::Tensor> parallel;
    for (auto& branch : branches) parallel.push_back(branch->forward(x));
    x = torch::max_pool1d(torch::relu(branch_bn->forward(torch::cat(parallel, 1))), 4);
    x = torch::max_pool1d(torch::relu(conv_bn->forward(conv->forward(x))), 4);
    x = torch::adaptive_avg_pool1d(x, kPooledSteps).flatten(1);
    if (level.defined()) x = torch::cat({x, level}, 1);
    x = torch::relu(dense->forward(x));
    return head->forward(dropout->options.p() > 0 ? dropout->forward(x) : x);
  }
  bool spectrogram;
  std::vector<torch::nn::Conv1d> stems;
  torch::nn::Conv1d conv{nullptr};
  std::vector<torch::nn::Conv1d> branches;
  torch::nn::BatchNorm1d stem_bn{nullptr}, branch_bn{nullptr}, conv_bn{nullptr};
  torch::nn::Linear dense{nullptr}, head{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(RawCnn);

}  // namespace

namespace raw_cnn {
std::vector<ModelEntry> Entries() { return {{"raw_cnn", [](const ModelSpec& s) { return RawCnn(s).ptr(); }}}; }
}  // namespace raw_cnn

}  // namespace mer::models
