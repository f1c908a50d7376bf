#include "distributed.h"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

#include "mer/core/error.h"

#ifdef MER_WITH_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace mer::train {
namespace {

// An environment variable as an integer in [lo, hi]; `fallback` when unset.
int EnvInt(const char* name, int fallback, int lo, int hi) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < lo || value > hi) {
    throw ConfigError(std::string("environment variable ") + name + "='" + text + "': expected an integer in [" +
                      std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int>(value);
}

std::string EnvString(const char* name) {
  const char* text = std::getenv(name);
  return text ? text : "";
}

class LocalCommunicator : public Communicator {
 public:
  LocalCommunicator() : Communicator(0, 1) {}
  void Broadcast(const std::vector<torch::Tensor>&) override {}
  double AverageGradients(const std::vector<torch::Tensor>&) override { return 0.0; }
  std::vector<double> Sum(std::vector<double> values) override { return values; }
};

#ifdef MER_WITH_C10D

// LibTorch's messages carry a backtrace after their first line.
std::string FirstLine(const std::exception& e) {
  const std::string what = e.what();
  return what.substr(0, what.find('\n'));
}

class GlooCommunicator : public Communicator {
 public:
  GlooCommunicator(const DistEnv& env, std::chrono::seconds timeout) : Communicator(env.rank, env.world) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
    const std::string where = env.master_addr + ":" + std::to_string(env.master_port) + " (" + env.source + ")";
    // The store's client waits for the server's answers without a timeout of its own (a port held by another
    // program that accepts and never answers would hold it forever): a watchdog ends the process instead.
    std::mutex mutex;
    std::condition_variable done_changed;
    bool done = false;
    std::thread watchdog([&, rank = env.rank, world = env.world] {
      std::unique_lock<std::mutex> lock(mutex);
      if (done_changed.wait_for(lock, timeout + std::chrono::seconds(1), [&] { return done; })) return;
      std::fprintf(stderr, "mer: error: distributed training, rank %d of %d: rendezvous at %s failed: no answer "
                   "within %lld s (--dist-timeout)\n", rank, world, where.c_str(), static_cast<long long>(timeout.count()));
      std::fflush(stderr);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let mer's stderr filter pass the line on
      std::_Exit(1);
    });
    const auto stop_watchdog = [&] {
      {
        std::lock_guard<std::mutex> lock(mutex);
        done = true;
      }
      done_changed.notify_all();
      watchdog.join();
    };
    try {
      Rendezvous(env, ms, where);
    } catch (...) {
      stop_watchdog();
      throw;
    }
    stop_watchdog();
  }

  void Rendezvous(const DistEnv& env, std::chrono::milliseconds ms, const std::string& where) {
    Guarded("rendezvous at " + where, [&] {
      c10d::TCPStoreOptions store_options;
      store_options.port = static_cast<std::uint16_t>(env.master_port);
      // Under torchrun the agent already serves the store on MASTER_PORT: every rank is its client, and mer's keys
      // get a prefix of their own (per restart), as PyTorch's env:// rendezvous does.
      store_options.isServer = env.rank == 0 && !env.agent_store;
      store_options.numWorkers = static_cast<std::size_t>(env.world);
      store_options.waitWorkers = !env.agent_store;
      store_options.timeout = ms;
      c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
      if (env.agent_store) store = c10::make_intrusive<c10d::PrefixStore>("mer/attempt_" + env.attempt, store);
      auto options = c10d::ProcessGroupGloo::Options::create(ms);
      const std::string ifname = EnvString("GLOO_SOCKET_IFNAME");
      const bool loopback = env.master_addr.rfind("127.", 0) == 0 || env.master_addr == "localhost";
      options->devices.push_back(!ifname.empty() ? c10d::ProcessGroupGloo::createDeviceForInterface(ifname)
                                 : loopback      ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                 : c10d::ProcessGroupGloo::createDefaultDevice());
      options->threads = 2;
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world, options);
    });
  }

  void Broadcast(const std::vector<torch::Tensor>& tensors) override {
    if (tensors.empty()) return;
    Guarded("broadcast", [&] {
      std::vector<torch::Tensor> flat{Flatten(tensors)};
      group_->broadcast(flat)->wait();
      Unflatten(flat[0], tensors);
    });
  }

  double AverageGradients(const std::vector<torch::Tensor>& parameters) override {
    const auto start = std::chrono::steady_clock::now();
    std::vector<torch::Tensor> grads;
    for (const auto& p : parameters) {
      if (!p.requires_grad()) continue;
      if (!p.grad().defined()) const_cast<torch::Tensor&>(p).mutable_grad() = torch::zeros_like(p);
      grads.push_back(p.grad());
    }
    // Buckets of about 25 MB (DistributedDataParallel's default), launched together, then waited for.
    constexpr int64_t kBucketBytes = 25 << 20;
    std::vector<std::vector<torch::Tensor>> buckets(1);
    int64_t bytes = 0;
    for (const auto& g : grads) {
      const int64_t size = g.numel() * static_cast<int64_t>(g.element_size());
      if (!buckets.back().empty() && (bytes + size > kBucketBytes || g.scalar_type() != buckets.back()[0].scalar_type())) {
        buckets.emplace_back();
        bytes = 0;
      }
      buckets.back().push_back(g);
      bytes += size;
    }
    Guarded("gradient all-reduce", [&] {
      std::vector<std::vector<torch::Tensor>> flats;
      std::vector<c10::intrusive_ptr<c10d::Work>> works;
      for (const auto& bucket : buckets) {
        if (bucket.empty()) continue;
        flats.push_back({Flatten(bucket)});
        works.push_back(group_->allreduce(flats.back()));
      }
      for (std::size_t i = 0; i < works.size(); ++i) {
        works[i]->wait();
        flats[i][0].div_(world_);
      }
      std::size_t f = 0;
      for (const auto& bucket : buckets) {
        if (!bucket.empty()) Unflatten(flats[f++][0], bucket);
      }
    });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  std::vector<double> Sum(std::vector<double> values) override {
    if (values.empty()) return values;
    Guarded("all-reduce", [&] {
      std::vector<torch::Tensor> t{torch::tensor(values, torch::kFloat64)};
      group_->allreduce(t)->wait();
      const double* p = t[0].data_ptr<double>();
      values.assign(p, p + values.size());
    });
    return values;
  }

 private:
  // One contiguous host tensor holding `tensors` one after another (Gloo here reduces host memory).
  static torch::Tensor Flatten(const std::vector<torch::Tensor>& tensors) {
    std::vector<torch::Tensor> parts;
    for (const auto& t : tensors) parts.push_back(t.detach().reshape({-1}).to(torch::kCPU));
    return torch::cat(parts).contiguous();
  }
  static void Unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors) {
    torch::NoGradGuard no_grad;
    int64_t offset = 0;
    for (const auto& t : tensors) {
      const int64_t n = t.numel();
      const_cast<torch::Tensor&>(t).copy_(flat.narrow(0, offset, n).view(t.sizes()));
      offset += n;
    }
  }
  void Guarded(const std::string& what, const std::function<void()>& body) const {
    try {
      body();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error("distributed training, rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " +
                  what + " failed (a rank stopped, or cannot be reached): " + FirstLine(e));
    }
  }

  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

#endif  // MER_WITH_C10D

}  // namespace

DistEnv ReadDistEnv() {
  DistEnv env;
  if (!EnvString("WORLD_SIZE").empty()) {
    env.source = "torchrun/env";
    env.world = EnvInt("WORLD_SIZE", 1, 1, 1 << 20);
    env.rank = EnvInt("RANK", env.world == 1 ? 0 : -1, 0, env.world - 1);
    if (env.rank < 0) throw ConfigError("environment variable WORLD_SIZE is set but RANK is not");
    env.local_rank = EnvInt("LOCAL_RANK", env.rank, 0, env.world - 1);
    env.agent_store = EnvString("TORCHELASTIC_USE_AGENT_STORE") == "True";
    env.attempt = std::to_string(EnvInt("TORCHELASTIC_RESTART_COUNT", 0, 0, INT_MAX));
  } else if (!EnvString("SLURM_PROCID").empty() && !EnvString("SLURM_NTASKS").empty()) {
    env.source = "slurm";
    env.world = EnvInt("SLURM_NTASKS", 1, 1, 1 << 20);
    env.rank = EnvInt("SLURM_PROCID", 0, 0, env.world - 1);
    env.local_rank = EnvInt("SLURM_LOCALID", 0, 0, env.world - 1);
    if (env.world > 1 && EnvString("MASTER_ADDR").empty()) {
      throw ConfigError("Slurm job of " + std::to_string(env.world) +
                        " tasks: set MASTER_ADDR to the first node's address (e.g. export MASTER_ADDR=$(scontrol "
                        "show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1))");
    }
  }
  if (!EnvString("MASTER_ADDR").empty()) env.master_addr = EnvString("MASTER_ADDR");
  env.master_port = EnvInt("MASTER_PORT", 29500, 1, 65535);
  return env;
}

bool DistributedAvailable() {
#ifdef MER_WITH_C10D
  return true;
#else
  return false;
#endif
}

std::unique_ptr<Communicator> Communicator::Connect(const DistEnv& env, std::chrono::seconds timeout) {
  if (env.world <= 1) return std::make_unique<LocalCommunicator>();
#ifdef MER_WITH_C10D
  return std::make_unique<GlooCommunicator>(env, timeout);
#else
  (void)timeout;
  throw ConfigError("WORLD_SIZE=" + std::to_string(env.world) +
                    ": this mer was built without torch.distributed (c10d Gloo); rebuild with libgloo-dev installed "
                    "and a LibTorch that has c10d, or train in one process");
#endif
}

std::vector<std::vector<double>> Communicator::Gather(const std::vector<std::vector<double>>& rows, std::size_t width) {
  if (world_ == 1) return rows;
  std::vector<double> counts(static_cast<std::size_t>(world_), 0.0);
  counts[static_cast<std::size_t>(rank_)] = static_cast<double>(rows.size());
  counts = Sum(counts);
  std::size_t total = 0, offset = 0;
  for (int r = 0; r < world_; ++r) {
    if (r == rank_) offset = total;
    total += static_cast<std::size_t>(counts[static_cast<std::size_t>(r)]);
  }
  // Each rank fills its own rows of a zeroed table; the sum is every rank's rows (adding zeros is exact).
  std::vector<double> table(total * width, 0.0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != width) throw Error("distributed gather: a row of " + std::to_string(rows[i].size()) + " values, expected " + std::to_string(width));
    std::copy(rows[i].begin(), rows[i].end(), table.begin() + static_cast<long>((offset + i) * width));
  }
  table = Sum(std::move(table));
  std::vector<std::vector<double>> out(total);
  for (std::size_t i = 0; i < total; ++i) {
    out[i].assign(table.begin() + static_cast<long>(i * width), table.begin() + static_cast<long>((i + 1) * width));
  }
  return out;
}

double Communicator::BroadcastValue(double value) {
  if (world_ == 1) return value;
  torch::Tensor t = torch::tensor({value}, torch::kFloat64);
  Broadcast({t});
  return t.item<double>();
}

std::vector<std::size_t> RankSlice(const std::vector<std::size_t>& indices, int rank, int world) {
  std::vector<std::size_t> out;
  for (std::size_t i = static_cast<std::size_t>(rank); i < indices.size(); i += static_cast<std::size_t>(world)) {
    out.push_back(indices[i]);
  }
  return out;
}

}  // namespace mer::train
