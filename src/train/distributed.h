// Data-parallel training on PyTorch's own distributed runtime (c10d): ranks rendezvous over a TCPStore from the
// environment torchrun and Slurm set, and average gradients with ProcessGroupGloo's all-reduce (CPU tensors; CUDA
// tensors are staged through the host). One process (WORLD_SIZE unset or 1) uses none of it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace mer::train {

// Who this process is among the ranks. Read from RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT
// (torchrun, `mer train --nproc`), else SLURM_PROCID / SLURM_NTASKS / SLURM_LOCALID (srun) with MASTER_ADDR
// required when there is more than one task. A malformed value is a ConfigError naming the variable.
struct DistEnv {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "single process";  // "torchrun/env", "slurm"
  bool agent_store = false;                // torchrun's agent serves the TCPStore (TORCHELASTIC_USE_AGENT_STORE)
  std::string attempt = "0";               // TORCHELASTIC_RESTART_COUNT
};
DistEnv ReadDistEnv();

// Whether this build has c10d (Gloo) compiled in.
bool DistributedAvailable();

// Collectives among the ranks. With one rank every call is a no-op returning its input. Every failure (a rank that
// died, a port in use, a timeout) is a mer::Error of one line naming this rank, never a hang past `timeout`.
class Communicator {
 public:
  static std::unique_ptr<Communicator> Connect(const DistEnv& env, std::chrono::seconds timeout);
  virtual ~Communicator() = default;
  int rank() const { return rank_; }
  int world() const { return world_; }

  // Copies rank 0's values into every rank's tensors (parameters and buffers at start, buffers before a step).
  virtual void Broadcast(const std::vector<torch::Tensor>& tensors) = 0;
  // Averages the gradients of `parameters` over the ranks in place, in buckets of about 25 MB all-reduced
  // together; a parameter without a gradient counts as zeros. Returns the seconds spent communicating.
  virtual double AverageGradients(const std::vector<torch::Tensor>& parameters) = 0;
  // Element-wise sum over the ranks.
  virtual std::vector<double> Sum(std::vector<double> values) = 0;
  // Every rank's rows, rank 0's first: `rows` of equal width `width` on every rank.
  std::vector<std::vector<double>> Gather(const std::vector<std::vector<double>>& rows, std::size_t width);
  double BroadcastValue(double value);  // rank 0's value

 protected:
  Communicator(int rank, int world) : rank_(rank), world_(world) {}
  int rank_, world_;
};

// The positions of `indices` this rank handles when work is split round-robin: i, i + world, ...
std::vector<std::size_t> RankSlice(const std::vector<std::size_t>& indices, int rank, int world);

}  // namespace mer::train
