// Runs independent work items on a fixed number of threads.
#pragma once

#include <cstddef>
#include <functional>

namespace mer {

// Hardware threads available (at least 1).
int DefaultThreadCount();

// Calls fn(i) for every i in [0, count) on up to `threads` threads (items are taken in order, one at a time).
// fn must not throw: callers record per-item failures themselves so one bad item does not stop the others.
void ParallelFor(std::size_t count, int threads, const std::function<void(std::size_t)>& fn);

}  // namespace mer
