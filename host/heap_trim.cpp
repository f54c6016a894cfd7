#include "heap_trim.hpp"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>

namespace berth::host {
namespace {

// Less change than this between two samples is a quiet heap.
constexpr std::size_t kActivity = 1 << 20;
// Less free memory than this is not worth a trim.
constexpr std::size_t kWorthTrimming = 1 << 20;
// The second trim comes this many quiet periods after the first.
constexpr int kLateTrim = 10;
// tune_malloc's thresholds.
constexpr int kArenaBlocksUpTo = 32 << 20;
constexpr int kTrimAbove = 64 << 20;

std::size_t distance(std::size_t a, std::size_t b) { return a > b ? a - b : b - a; }

}  // namespace

void tune_malloc() {
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = ::sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
  ::mallopt(M_ARENA_MAX, std::max(cpus, 1));
  // Setting either turns off glibc's sliding thresholds, so both are set:
  // blocks up to 32 MiB (its sliding maximum) come from the arenas and are
  // reused, not mapped and unmapped each time; and free memory stays until
  // 64 MiB, a whole thread arena's heap, is free at its top.
  ::mallopt(M_MMAP_THRESHOLD, kArenaBlocksUpTo);
  ::mallopt(M_TRIM_THRESHOLD, kTrimAbove);
}

HeapTrimmer::HeapTrimmer(std::chrono::milliseconds period) : period_(period) {
  thread_ = std::thread([this] { run(); });
}

HeapTrimmer::~HeapTrimmer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void HeapTrimmer::run() {
  ::pthread_setname_np(::pthread_self(), "heap-trim");
  struct mallinfo2 last = ::mallinfo2();
  bool pending = false;  // activity seen since the last late trim
  int quiet = 0;         // quiet periods since the last activity
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, period_, [&] { return stop_; })) {
    lock.unlock();
    const struct mallinfo2 now = ::mallinfo2();
    // In use changed, or a burst was just freed: load is (or was) here.
    const bool active =
        distance(now.uordblks, last.uordblks) >= kActivity || now.fordblks >= last.fordblks + kActivity;
    last = now;
    if (active) {
      pending = true;
      quiet = 0;
    } else if (pending) {
      ++quiet;
      if (quiet == kLateTrim) pending = false;
      if ((quiet == 1 || quiet == kLateTrim) && now.fordblks >= kWorthTrimming) {
        ::malloc_trim(0);
        spdlog::debug("heap quiet: trimmed {} MiB of free allocator memory ({} MiB in use)",
                      now.fordblks >> 20, now.uordblks >> 20);
        last = ::mallinfo2();
      }
    }
    lock.lock();
  }
}

}  // namespace berth::host
