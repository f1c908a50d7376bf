#include "mer/audio/resampler.h"

#include <cmath>
#include <string>

#include <soxr.h>

#include "mer/core/error.h"

namespace mer::audio {

struct Resampler::State {
  soxr_t soxr = nullptr;
  double ratio = 1.0;
  std::size_t inputs = 0;
  std::size_t outputs = 0;
  std::vector<float> scratch;
};

Resampler::Resampler(double input_rate, double output_rate) : state_(std::make_unique<State>()) {
  if (!(input_rate > 0) || !(output_rate > 0)) {
    throw Error("resampler: sample rates must be positive (got " + std::to_string(input_rate) + " -> " +
                std::to_string(output_rate) + ")");
  }
  state_->ratio = output_rate / input_rate;
  soxr_error_t error = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  state_->soxr = soxr_create(input_rate, output_rate, 1, &error, &io, &quality, nullptr);
  if (error != nullptr || state_->soxr == nullptr) throw Error(std::string("libsoxr: ") + (error ? error : "create failed"));
}

Resampler::~Resampler() {
  if (state_ && state_->soxr) soxr_delete(state_->soxr);
}

void Resampler::Process(const float* input, std::size_t count, std::vector<float>* out) {
  state_->inputs += count;
  std::size_t consumed_total = 0;
  // Loop until soxr has taken all input; each call may emit at most the scratch size.
  do {
    const std::size_t capacity = static_cast<std::size_t>(std::ceil((count - consumed_total) * state_->ratio)) + 1024;
    state_->scratch.resize(capacity);
    std::size_t consumed = 0, produced = 0;
    soxr_error_t error = soxr_process(state_->soxr, input + consumed_total, count - consumed_total, &consumed,
                                      state_->scratch.data(), capacity, &produced);
    if (error != nullptr) throw Error(std::string("libsoxr: ") + error);
    out->insert(out->end(), state_->scratch.begin(), state_->scratch.begin() + static_cast<long>(produced));
    state_->outputs += produced;
    consumed_total += consumed;
    if (consumed == 0 && produced == 0) break;
  } while (consumed_total < count);
}

void Resampler::Finish(std::vector<float>* out) {
  state_->scratch.resize(4096);
  while (true) {
    std::size_t produced = 0;
    soxr_error_t error = soxr_process(state_->soxr, nullptr, 0, nullptr, state_->scratch.data(),
                                      state_->scratch.size(), &produced);
    if (error != nullptr) throw Error(std::string("libsoxr: ") + error);
    if (produced == 0) break;
    out->insert(out->end(), state_->scratch.begin(), state_->scratch.begin() + static_cast<long>(produced));
    state_->outputs += produced;
  }
  const auto expected = static_cast<std::size_t>(std::ceil(static_cast<double>(state_->inputs) * state_->ratio - 1e-9));
  out->resize(out->size() - state_->outputs + expected, 0.0f);
  state_->outputs = expected;
}

std::vector<float> Resampler::Resample(const std::vector<float>& input, double input_rate, double output_rate) {
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(std::ceil(input.size() * output_rate / input_rate)) + 16);
  Resampler resampler(input_rate, output_rate);
  resampler.Process(input.data(), input.size(), &out);
  resampler.Finish(&out);
  return out;
}

}  // namespace mer::audio
