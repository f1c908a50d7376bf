#include "mer/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace mer {

int DefaultThreadCount() { return std::max(1u, std::thread::hardware_concurrency()); }

void ParallelFor(std::size_t count, int threads, const std::function<void(std::size_t)>& fn) {
  const std::size_t workers = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, threads)));
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  pool.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < count; i = next++) fn(i);
    });
  }
  for (auto& t : pool) t.join();
}

}  // namespace mer
