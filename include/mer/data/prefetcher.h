// The last stage of the data loader: items 0 .. count-1 produced by worker threads at most `depth` ahead of the
// consumer and handed out in order, whatever order the threads finish in. A producer's exception is rethrown by
// Next(). With 0 workers Next() produces each item itself.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace mer::data {

template <typename T>
class Prefetcher {
 public:
  Prefetcher() = default;
  ~Prefetcher() { Stop(); }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Stops what runs, then starts producing `count` items.
  void Start(std::size_t count, std::function<T(std::size_t)> produce, int workers, std::size_t depth) {
    Stop();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = false;
      ready_.clear();
      failure_ = nullptr;
      next_to_hand_out_ = next_to_produce_ = 0;
      count_ = count;
      depth_ = depth < 1 ? 1 : depth;
      produce_ = std::move(produce);
      workers_count_ = workers < 0 ? 0 : workers;
    }
    for (int w = 0; w < workers_count_; ++w) workers_.emplace_back([this] { Work(); });
  }

  // The next item in order, or nullopt after the last.
  std::optional<T> Next() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (next_to_hand_out_ >= count_) return std::nullopt;
    if (workers_count_ == 0) {
      const std::size_t index = next_to_hand_out_++;
      lock.unlock();
      return produce_(index);
    }
    changed_.wait(lock, [&] { return failure_ || ready_.count(next_to_hand_out_); });
    if (failure_) std::rethrow_exception(failure_);
    T item = std::move(ready_[next_to_hand_out_]);
    ready_.erase(next_to_hand_out_++);
    lock.unlock();
    changed_.notify_all();
    return item;
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

 private:
  void Work() {
    while (true) {
      std::size_t index;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] {
          return stopping_ || next_to_produce_ >= count_ || next_to_produce_ < next_to_hand_out_ + depth_;
        });
        if (stopping_ || next_to_produce_ >= count_) return;
        index = next_to_produce_++;
      }
      T produced{};
      std::exception_ptr error;
      try {
        produced = produce_(index);
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (error && !failure_) failure_ = error;
        ready_[index] = std::move(produced);
      }
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::size_t, T> ready_;
  std::exception_ptr failure_;
  std::size_t next_to_hand_out_ = 0, next_to_produce_ = 0, count_ = 0, depth_ = 1;
  std::function<T(std::size_t)> produce_;
  int workers_count_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace mer::data
