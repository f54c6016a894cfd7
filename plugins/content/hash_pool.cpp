#include "hash_pool.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace berth::content {

std::shared_ptr<HashPool> make_hash_pool(std::size_t max_threads) {
  return HashPool::create(max_threads, [] { return HashWorker::start(); });
}

std::size_t usable_cpus() {
  // The CPUs this process may use (a cpuset or taskset may allow fewer than
  // the machine has).
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(CPU_COUNT(&set), 1);
  return std::max(std::thread::hardware_concurrency(), 1U);
}

}  // namespace berth::content
