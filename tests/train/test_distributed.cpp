// Data-parallel training on loopback (c10d Gloo): 2 ranks of batch 16 end with the weights of 1 rank of batch 32,
// an interrupted 2-rank run resumes exactly, and a rank that dies or a port in use ends every rank with a one-line
// error instead of a hang.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mer/models/model.h"
#include "support/test_support.h"
#include "../../src/train/checkpoint.h"
#include "../../src/train/distributed.h"

namespace mer {
namespace {

namespace fs = std::filesystem;
using test::Q;
using test::ReadJson;
using test::RunMer;

class DistributedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    // 100 songs: the demo split's 64 training songs give both ranks 32 each (an even count: no padding).
    const auto r = RunMer("data synth --dataset emomusic --out " + Q(*dir_ / "emo") + " --songs 100 --seconds 17 --seed 3");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  // A build without c10d Gloo (no libgloo-dev at configure, or -DMER_WITH_C10D=OFF) cannot train on several ranks:
  // then what is tested is that it says so in one line, and the caller returns.
  static bool HasC10d() {
    if (train::DistributedAvailable()) return true;
    const auto r = RunMer("train --config " + Q(Config("no_c10d", 16)) + " --out " + Q(*dir_ / "no_c10d") +
                          " --device cpu --nproc 2");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("this mer was built without torch.distributed (c10d Gloo)"), std::string::npos) << r.err;
    return false;
  }
  // quan_cnn (no batch norm) without dropout: nothing random differs between ranks but the data they see.
  static fs::path Config(const std::string& name, int batch, int epochs = 2) {
    const nlohmann::json changes = {{"model", {{"dropout", 0.0}}},
                                    {"train", {{"epochs", epochs}, {"batch_size", batch}, {"lr", 0.003}, {"threads", 1}}}};
    return test::WriteDemoConfig(dir_->path(), name, *dir_ / "emo", changes.dump());
  }
  static std::vector<torch::Tensor> Weights(const fs::path& checkpoint) {
    models::RegisterBuiltinModels();
    std::vector<torch::Tensor> out;
    for (const auto& p : train::LoadCheckpoint(checkpoint, torch::kCPU).model->parameters()) out.push_back(p.detach().clone());
    return out;
  }
  static double MaxDifference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    EXPECT_EQ(a.size(), b.size());
    double worst = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
    return worst;
  }
  static test::TempDir* dir_;
};
test::TempDir* DistributedTest::dir_ = nullptr;

// Tolerance: the two ways sum the same 32 per-example gradients in a different order (float32), over 8 Adam steps.
constexpr double kSameWeights = 2e-5;

TEST_F(DistributedTest, TwoRanksOfBatch16EqualOneRankOfBatch32) {
  if (!HasC10d()) return;
  const fs::path one = *dir_ / "one", two = *dir_ / "two", small = *dir_ / "small";
  auto r = RunMer("train --config " + Q(Config("b32", 32)) + " --out " + Q(one) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(ReadJson(one / "split.json")["train"].size() % 2, 0u) << "the test needs an even training part";
  r = RunMer("train --config " + Q(Config("b16", 16)) + " --out " + Q(two) + " --device cpu --nproc 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("2 ranks (torchrun/env), batch 16 per rank"), std::string::npos) << r.err;
  const auto a = Weights(one / "last.pt"), b = Weights(two / "last.pt");
  EXPECT_LT(MaxDifference(a, b), kSameWeights);
  // Not vacuous: one rank of batch 16 takes other steps and ends elsewhere; training moved the weights.
  r = RunMer("train --config " + Q(Config("b16", 16)) + " --out " + Q(small) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(MaxDifference(a, Weights(small / "last.pt")), 100 * kSameWeights);
  // The same steps, and validation (sharded over the ranks, then gathered) scores the same model alike.
  const auto log_lines = [](const fs::path& run) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(test::ReadBytes(run / "train_log.jsonl"));
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  };
  const auto la = log_lines(one), lb = log_lines(two);
  ASSERT_EQ(la.size(), 2u);
  ASSERT_EQ(lb.size(), 2u);
  for (std::size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(la[e]["global_step"], lb[e]["global_step"]);
    EXPECT_NEAR(la[e]["train_loss"].get<double>(), lb[e]["train_loss"].get<double>(), 1e-4);
    EXPECT_NEAR(la[e]["monitor_value"].get<double>(), lb[e]["monitor_value"].get<double>(), 1e-3);
    EXPECT_EQ(lb[e]["ranks"], 2);
    EXPECT_GE(lb[e]["comm_seconds"].get<double>(), 0.0);
  }
  // Rank 0 alone wrote the folder: the report comes from it and knows the ranks.
  EXPECT_EQ(ReadJson(two / "metrics.json")["ranks"], 2);
}

TEST_F(DistributedTest, AnInterruptedTwoRankRunResumesExactly) {
  if (!HasC10d()) return;
  const fs::path whole = *dir_ / "whole", cut = *dir_ / "cut";
  const fs::path config = Config("resume", 16, 3);
  auto r = RunMer("train --config " + Q(config) + " --out " + Q(whole) + " --device cpu --nproc 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunMer("train --config " + Q(config) + " --out " + Q(cut) + " --device cpu --nproc 2", "MER_TEST_INTERRUPT_AFTER_STEPS=5");
  ASSERT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("continue with --resume"), std::string::npos) << r.err;
  r = RunMer("train --config " + Q(config) + " --out " + Q(cut) + " --device cpu --nproc 2 --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadJson(whole / "metrics.json"), ReadJson(cut / "metrics.json"));
  EXPECT_EQ(MaxDifference(Weights(whole / "last.pt"), Weights(cut / "last.pt")), 0.0);
}

// Two ranks started by hand, as torchrun or srun would, sharing one port; `rank1_env` goes to rank 1 only.
// Returns rank 0's exit status and stderr, and rank 1's exit status.
struct TwoRanks {
  int rank0 = -1, rank1 = -1;
  std::string err0, err1;
};
TwoRanks RunTwoRanks(const fs::path& dir, const std::string& train_args, int port, const std::string& rank1_env) {
  const std::string env = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port);
  const std::string mer = std::string("'") + MER_BINARY + "' ";
  const std::string script = "(" + env + " RANK=1 " + rank1_env + " " + mer + train_args + " 2>" + Q(dir / "err1") +
                             "; echo $? >" + Q(dir / "rc1") + ") & " + env + " RANK=0 " + mer + train_args + " 2>" +
                             Q(dir / "err0") + "; echo $? >" + Q(dir / "rc0") + "; wait";
  std::system(script.c_str());
  TwoRanks out;
  out.rank0 = std::atoi(test::ReadBytes(dir / "rc0").c_str());
  out.rank1 = std::atoi(test::ReadBytes(dir / "rc1").c_str());
  out.err0 = test::ReadBytes(dir / "err0");
  out.err1 = test::ReadBytes(dir / "err1");
  return out;
}

int FreeLoopbackPort(int* listening_fd) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  if (listening_fd != nullptr) {
    EXPECT_EQ(::listen(fd, 4), 0);
    *listening_fd = fd;
  } else {
    ::close(fd);
  }
  return ntohs(address.sin_port);
}

// The last line of a rank's stderr is its one error line, with no LibTorch backtrace after it.
void ExpectOneErrorLine(const std::string& err, const std::string& part) {
  const std::size_t at = err.find("mer: error: ");
  ASSERT_NE(at, std::string::npos) << err;
  EXPECT_EQ(err.find('\n', at), err.size() - 1) << err;
  EXPECT_NE(err.find(part, at), std::string::npos) << err;
}

TEST_F(DistributedTest, ARankThatDiesEndsTheOthersWithAnError) {
  if (!HasC10d()) return;
  test::TempDir dir;
  const std::string args = "train --config " + Q(Config("dies", 16, 3)) + " --out " + Q(dir / "run") +
                           " --device cpu --dist-timeout 60";
  const TwoRanks r = RunTwoRanks(dir.path(), args, FreeLoopbackPort(nullptr), "MER_TEST_EXIT_AFTER_STEPS=2");
  EXPECT_EQ(r.rank1, 9) << r.err1;  // the hook's exit status
  EXPECT_EQ(r.rank0, 1) << r.err0;
  ExpectOneErrorLine(r.err0, "distributed training, rank 0 of 2: ");
  EXPECT_FALSE(fs::exists(dir / "run/metrics.json"));
}

TEST_F(DistributedTest, APortInUseIsAnErrorOnEveryRank) {
  if (!HasC10d()) return;
  test::TempDir dir;
  int squatter = -1;
  const int port = FreeLoopbackPort(&squatter);  // listening, never answering
  const std::string args = "train --config " + Q(Config("port", 16)) + " --out " + Q(dir / "run") +
                           " --device cpu --dist-timeout 5";
  const TwoRanks r = RunTwoRanks(dir.path(), args, port, "");
  EXPECT_EQ(r.rank0, 1) << r.err0;
  EXPECT_EQ(r.rank1, 1) << r.err1;
  ExpectOneErrorLine(r.err0, "rendezvous at 127.0.0.1:" + std::to_string(port));
  ExpectOneErrorLine(r.err1, "rendezvous at 127.0.0.1:" + std::to_string(port));
  // Under `--nproc` the supervisor stops the other rank as soon as one fails, and reports which.
  const auto n = RunMer(args + " --nproc 2", "MASTER_PORT=" + std::to_string(port));
  EXPECT_EQ(n.exit_code, 1) << n.err;
  EXPECT_NE(n.err.find("failed (exit status 1); stopping the other ranks"), std::string::npos) << n.err;
  ::close(squatter);
}

TEST_F(DistributedTest, NprocUnderALauncherIsAConfigError) {
  const auto r = RunMer("train --config " + Q(Config("launcher", 16)) + " --out " + Q(*dir_ / "launcher") + " --nproc 2",
                        "WORLD_SIZE=2 RANK=0");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--nproc: WORLD_SIZE is already set"), std::string::npos) << r.err;
  const auto bad = RunMer("train --config " + Q(Config("badenv", 16)) + " --out " + Q(*dir_ / "badenv"), "WORLD_SIZE=two");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("environment variable WORLD_SIZE='two'"), std::string::npos) << bad.err;
  // srun without MASTER_ADDR: a config error that says how to set it, before any rendezvous is tried.
  const auto slurm = RunMer("train --config " + Q(Config("slurm", 16)) + " --out " + Q(*dir_ / "slurm"),
                            "env -u MASTER_ADDR SLURM_PROCID=0 SLURM_NTASKS=2");
  EXPECT_EQ(slurm.exit_code, 2) << slurm.err;
  EXPECT_NE(slurm.err.find("Slurm job of 2 tasks: set MASTER_ADDR"), std::string::npos) << slurm.err;
}

// Under PyTorch's own launcher (its agent serves the store): the same run as `--nproc 2`. Debian's torchrun 1.13
// spells its options with underscores and needs -r/-t on Python 3.11.
TEST_F(DistributedTest, TorchrunStartsTheSameRunAsNproc) {
  if (!HasC10d()) return;
  // The project venv's torch (scripts/install-deps.sh), the LibTorch the build uses; the export test needs it too.
  ASSERT_EQ(std::system((std::string(MER_PYTHON) + " -c 'import torch.distributed.run' >/dev/null 2>&1").c_str()), 0)
      << "python3 with torch.distributed.run (torchrun) is missing: run scripts/install-deps.sh";
  const fs::path config = Config("torchrun", 16);
  const fs::path local = *dir_ / "by_nproc", launched = *dir_ / "by_torchrun";
  auto r = RunMer("train --config " + Q(config) + " --out " + Q(local) + " --device cpu --nproc 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string command = std::string(MER_PYTHON) + " -m torch.distributed.run --nproc_per_node 2 --master_port " +
                              std::to_string(FreeLoopbackPort(nullptr)) + " -r 1 -t 1 --no_python '" + MER_BINARY +
                              "' train --config " + Q(config) + " --out " + Q(launched) + " --device cpu >" +
                              Q(*dir_ / "torchrun.log") + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << test::ReadBytes(*dir_ / "torchrun.log");
  EXPECT_EQ(ReadJson(local / "metrics.json"), ReadJson(launched / "metrics.json"));
}

}  // namespace
}  // namespace mer
