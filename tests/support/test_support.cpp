#include "support/test_support.h"

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

namespace mer::test {

fs::path TestData(const std::string& relative) { return fs::path(MER_TEST_DATA_DIR) / relative; }

fs::path SharedPath(const std::string& relative) {
  const fs::path path = fs::path(MER_SHARED_DIR) / relative;
  std::error_code ec;
  return fs::exists(path, ec) ? path : fs::path();
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("mer-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<float> Sine(double frequency, int sample_rate, double seconds, double amplitude) {
  std::vector<float> out(static_cast<std::size_t>(seconds * sample_rate));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<float>(amplitude * std::sin(2.0 * M_PI * frequency * double(i) / sample_rate));
  }
  return out;
}

std::vector<float> WhiteNoise(int sample_rate, double seconds, double amplitude, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> out(static_cast<std::size_t>(seconds * sample_rate));
  for (auto& x : out) x = static_cast<float>(amplitude) * uniform(rng);
  return out;
}

double ZeroCrossingFrequency(const std::vector<float>& x, int sample_rate) {
  const std::size_t begin = x.size() / 10, end = x.size() - x.size() / 10;
  double first = -1, last = -1;
  int crossings = 0;
  for (std::size_t i = begin + 1; i < end; ++i) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const double t = double(i - 1) + x[i - 1] / (x[i - 1] - x[i]);  // linear interpolation
      if (first < 0) first = t;
      last = t;
      ++crossings;
    }
  }
  return crossings > 1 ? (crossings - 1) * sample_rate / (last - first) : 0.0;
}

double Rms(const std::vector<float>& x, std::size_t begin, std::size_t end) {
  double sum = 0;
  for (std::size_t i = begin; i < end; ++i) sum += double(x[i]) * x[i];
  return std::sqrt(sum / double(end - begin));
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

ProcessResult RunMer(const std::string& arguments, const std::string& environment) {
  TempDir dir;
  const fs::path out = dir / "stdout", err = dir / "stderr";
  const std::string command = environment + (environment.empty() ? "" : " ") + "'" + MER_BINARY + "' " + arguments + " >'" + out.string() + "' 2>'" +
                              err.string() + "'";
  const int status = std::system(command.c_str());
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadBytes(out);
  result.err = ReadBytes(err);
  return result;
}

}  // namespace mer::test

namespace mer::test {

fs::path WriteDemoConfig(const fs::path& dir, const std::string& name, const fs::path& corpus,
                         const std::string& changes_json) {
  nlohmann::json c = nlohmann::json::parse(ReadBytes(TestData("../configs/demo.json")));
  c["data"]["root"] = corpus.string();
  c["data"]["cache_dir"] = (dir / "cache").string();
  c.merge_patch(nlohmann::json::parse(changes_json));
  const fs::path path = dir / (name + ".json");
  WriteBytes(path, c.dump(2));
  return path;
}

}  // namespace mer::test
