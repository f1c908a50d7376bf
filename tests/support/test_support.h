// Helpers shared by the test suites: fixture paths, ../shared lookup, temp folders, signals, running `mer`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mer::test {

namespace fs = std::filesystem;

// A file committed under tests/.
fs::path TestData(const std::string& relative);

// A path inside ../shared (the real datasets and references); empty when ../shared is absent.
fs::path SharedPath(const std::string& relative);

// Skips the current test with a reason; ctest counts a test as skipped only when its output holds "MER-SKIP:"
// (cmake/MerTest.cmake), so a fixture that fails is a failure, not a skip.
#define MER_SKIP() GTEST_SKIP() << "MER-SKIP: "

// Skips the current test, with the reason, when ../shared or the file inside it is missing.
#define MER_REQUIRE_SHARED(path_var, relative)                                                      \
  const ::std::filesystem::path path_var = ::mer::test::SharedPath(relative);                       \
  if (path_var.empty()) MER_SKIP() << "../shared not available (needs " << (relative) << ")"

// A fresh folder removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

std::vector<float> Sine(double frequency, int sample_rate, double seconds, double amplitude = 0.5);
std::vector<float> WhiteNoise(int sample_rate, double seconds, double amplitude, unsigned seed);

// Frequency of a steady tone from interpolated upward zero crossings (skips the first and last 10%).
double ZeroCrossingFrequency(const std::vector<float>& signal, int sample_rate);
double Rms(const std::vector<float>& signal, std::size_t begin, std::size_t end);

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the built `mer` binary with the given shell-quoted arguments (and optional VAR=value assignments).
ProcessResult RunMer(const std::string& arguments, const std::string& environment = "");

std::string ReadBytes(const fs::path& path);
// A path single-quoted for the shell command lines of RunMer.
inline std::string Q(const fs::path& p) { return "'" + p.string() + "'"; }
// A JSON file's contents (test failure on a parse error, through the exception).
inline nlohmann::json ReadJson(const fs::path& p) { return nlohmann::json::parse(ReadBytes(p)); }

// configs/demo.json pointed at `corpus` with its cache in dir/cache, `changes` merged in (JSON merge patch),
// written to dir/<name>.json; returns that path.
fs::path WriteDemoConfig(const fs::path& dir, const std::string& name, const fs::path& corpus,
                         const std::string& changes_json);
void WriteBytes(const fs::path& path, const std::string& bytes);

}  // namespace mer::test
