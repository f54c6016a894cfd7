#include "hash_pool.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace berth::content {

std::shared_ptr<HashPool> HashPool::create(std::size_t max_threads) {
  return std::shared_ptr<HashPool>(new HashPool(std::max<std::size_t>(max_threads, 1)));
}

std::size_t HashPool::default_size() {
  // The CPUs this process may use (a cpuset or taskset may allow fewer than
  // the machine has).
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(CPU_COUNT(&set), 1);
  return std::max(std::thread::hardware_concurrency(), 1U);
}

std::optional<HashPool::Lease> HashPool::try_acquire() {
  std::unique_lock lock(mu_);
  if (!idle_.empty()) {
    auto worker = std::move(idle_.back());
    idle_.pop_back();
    return Lease(shared_from_this(), std::move(worker));
  }
  if (started_ >= max_threads_) return std::nullopt;
  ++started_;
  lock.unlock();
  // Started outside the lock: creating a thread can take a while.
  auto worker = HashWorker::start();
  if (!worker) {
    std::lock_guard relock(mu_);
    --started_;
    return std::nullopt;
  }
  return Lease(shared_from_this(), std::move(worker));
}

std::size_t HashPool::started() const {
  std::lock_guard lock(mu_);
  return started_;
}

void HashPool::give_back(std::unique_ptr<HashWorker> worker) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(worker));
}

HashPool::Lease::~Lease() {
  if (pool_ && worker_) pool_->give_back(std::move(worker_));
}

}  // namespace berth::content
