#include "worker_pool.hpp"

#include <algorithm>
#include <chrono>

namespace berth::transfer {

WorkerPool::WorkerPool(std::size_t n, int threads, std::atomic<bool>& stop,
                       const std::function<Worker()>& make_worker, std::function<void(std::size_t)> skip)
    : n_(n), stop_(stop), skip_(std::move(skip)) {
  const int count =
      static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), n));
  running_ = count;
  for (int i = 0; i < count; ++i) threads_.emplace_back([this, worker = make_worker()] { run(worker); });
}

void WorkerPool::run(const Worker& worker) {
  for (std::size_t i; (i = next_.fetch_add(1)) < n_;) {
    if (stop_.load()) {
      if (skip_) skip_(i);
      continue;
    }
    if (Status st = worker(i); !st.ok()) {
      error_.set(std::move(st));
      stop_ = true;
    }
  }
  {
    std::lock_guard lock(mu_);
    --running_;
  }
  cv_.notify_all();
}

Status WorkerPool::wait(const std::function<Status()>& cancelled) {
  Status st;
  {
    std::unique_lock lock(mu_);
    while (running_ > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (running_ == 0) break;
      lock.unlock();
      st = cancelled ? cancelled() : Status{};
      lock.lock();
      if (!st.ok()) break;
    }
  }
  if (!st.ok()) stop_ = true;  // the items in flight stop at their next chunk
  join();
  // An item's failure is the cause of any stop the check reports.
  if (Status first = error_.get(); !first.ok()) return first;
  return st;
}

void WorkerPool::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

}  // namespace berth::transfer
