#include "local_ranks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "mer/core/error.h"

namespace mer::cli {
namespace {

volatile sig_atomic_t g_forward = 0;
void OnSignal(int signal) { g_forward = signal; }

// A TCP port the kernel has just handed out on 127.0.0.1 (free now; rank 0 binds it a moment later).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error("mer train --nproc: cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw Error("mer train --nproc: cannot find a free port on 127.0.0.1 (set MASTER_PORT)");
  return ntohs(address.sin_port);
}

int ExitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

namespace {

// Starts rank `r` of `nproc`: this program again with the rank's environment.
pid_t StartRank(int r, int nproc, const std::string& port, const std::string& threads, std::vector<std::string> args) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // the parent, or -1
  ::setenv("RANK", std::to_string(r).c_str(), 1);
  ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
  ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", port.c_str(), 1);
  ::setenv("OMP_NUM_THREADS", threads.c_str(), 0);
  std::string self = "mer";
  std::vector<char*> argv = {self.data()};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv("/proc/self/exe", argv.data());
  std::_Exit(127);
}

// Waits for every rank, passing signals on; the first failure stops the others (SIGTERM, SIGKILL 10 s later).
// Returns the first failing rank's exit status, else the first other non-zero one (an interruption), else 0.
int Supervise(const std::vector<pid_t>& ranks) {
  std::vector<int> status(ranks.size(), -1);
  std::size_t running = ranks.size();
  const auto signal_running = [&](int signal) {
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      if (status[r] < 0) ::kill(ranks[r], signal);
    }
  };
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  int failure = 0;
  int forwarded = 0;
  while (running > 0) {
    if (g_forward != 0 && g_forward != forwarded) signal_running(forwarded = g_forward);
    int raw = 0;
    const pid_t pid = ::waitpid(-1, &raw, WNOHANG);
    const auto it = pid > 0 ? std::find(ranks.begin(), ranks.end(), pid) : ranks.end();
    if (it != ranks.end()) {
      const std::size_t r = static_cast<std::size_t>(it - ranks.begin());
      status[r] = ExitStatus(raw);
      --running;
      if (status[r] != 0 && status[r] != 130 && status[r] != 143 && failure == 0) {
        failure = status[r];
        if (running > 0) {
          std::cerr << "mer train: rank " << r << " of " << ranks.size() << " failed (exit status " << status[r]
                    << "); stopping the other ranks\n";
        }
        signal_running(SIGTERM);
        stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      }
      continue;
    }
    if (std::chrono::steady_clock::now() > stop_deadline) {
      signal_running(SIGKILL);
      stop_deadline = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (failure != 0) return failure;
  for (int s : status) {
    if (s != 0) return s;
  }
  return 0;
}

}  // namespace

int RunLocalRanks(int nproc, const std::vector<std::string>& args) {
  if (std::getenv("WORLD_SIZE") != nullptr) {
    throw ConfigError("--nproc: WORLD_SIZE is already set (a launcher such as torchrun started this process); "
                      "drop --nproc");
  }
  const char* port_env = std::getenv("MASTER_PORT");
  const std::string port = port_env && *port_env ? port_env : std::to_string(FreePort());
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::string threads = std::to_string(std::max(1u, cores / static_cast<unsigned>(nproc)));

  struct sigaction action {}, old_int {}, old_term {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  g_forward = 0;
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  std::vector<pid_t> ranks;
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = StartRank(r, nproc, port, threads, args);
    if (pid < 0) {
      for (pid_t p : ranks) ::kill(p, SIGTERM);
      throw Error("mer train --nproc: cannot start rank " + std::to_string(r));
    }
    ranks.push_back(pid);
  }
  const int status = Supervise(ranks);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return status;
}

}  // namespace mer::cli
