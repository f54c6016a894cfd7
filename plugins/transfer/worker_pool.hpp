// Items [0, n) worked on by up to `threads` threads, each taking the next
// item until none is left, as a transfer moves its blobs. Each thread gets
// its own worker from `make_worker` (a registry client serves one thread at
// a time). The first failing item sets `stop` and is kept as the error;
// once `stop` is set (by a failure, or by the owner), the items not started
// go to `skip` instead, so whoever waits on one learns it will not come.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "berth/status.hpp"
#include "first_error.hpp"

namespace berth::transfer {

class WorkerPool {
 public:
  using Worker = std::function<Status(std::size_t)>;

  WorkerPool(std::size_t n, int threads, std::atomic<bool>& stop, const std::function<Worker()>& make_worker,
             std::function<void(std::size_t)> skip = {});
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { join(); }

  // Waits for every thread, asking `cancelled` (on this thread) now and
  // then; a non-OK answer sets `stop`. Returns the first item's error (the
  // cause of any stop), else what `cancelled` said.
  Status wait(const std::function<Status()>& cancelled);
  void join();
  Status error() { return error_.get(); }

 private:
  void run(const Worker& worker);

  std::size_t n_;
  std::atomic<bool>& stop_;
  std::function<void(std::size_t)> skip_;
  std::atomic<std::size_t> next_{0};
  FirstError error_;
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace berth::transfer
