// berth::GcScheduler: when to collect, as containerd's gc scheduler decides
// (gc/scheduler in containerd): after startup_delay; when triggered (a delete
// with `sync`, `berth gc`); after deletion_threshold deletions, or any
// deletion when nothing is scheduled and the threshold is 0; at the next
// scheduled time once mutation_threshold changes happened; and never more
// often than pause_threshold allows (the next collection waits the average
// collection time / pause_threshold, less that time).
//
// One thread runs the collections; callers only change counters under a
// mutex, so the mutation listener, called under the metadata writer lock,
// never waits for a collection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "berth/gc.hpp"
#include "berth/instance.hpp"
#include "berth/metrics.hpp"
#include "scheduler_config.hpp"

namespace berth::gc_plugin {

class Scheduler final : public Instance, public GcScheduler, public MetricsSource {
 public:
  // Starts the collection thread; `collector` must outlive close().
  Scheduler(std::shared_ptr<GarbageCollector> collector, SchedulerConfig config);
  ~Scheduler() override;

  Result<GcResult> schedule_and_wait() override;
  Result<GcResult> dry_run() override;
  // Stops the thread; waiters get Unavailable. Idempotent.
  Status close() override;
  // Collections so far, their time and pauses, what they removed
  // (gc_figures.cpp). containerd has no GC metrics: the names are Berth's.
  std::vector<metrics::Family> collect() override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Waiter {
    bool done = false;
    Result<GcResult> result = unavailable("garbage collector stopped");
  };

  void mutated(bool deletion);
  // Under mu_: schedules a collection `delay` from now unless one is due sooner.
  void schedule_within(Clock::duration delay);
  void run();

  const std::shared_ptr<GarbageCollector> collector_;
  const SchedulerConfig config_;

  std::mutex mu_;
  std::condition_variable wake_;      // the thread: something to look at
  std::condition_variable finished_;  // waiters: a collection ended
  bool stopping_ = false;
  bool triggered_ = false;
  int64_t deletions_ = 0;
  int64_t mutations_ = 0;
  std::optional<Clock::time_point> next_;
  bool collected_once_ = false;
  Clock::duration interval_ = std::chrono::seconds(1);
  Clock::duration gc_time_{};
  int64_t collections_ = 0;
  // For collect(), under mu_: totals over the collections (not dry runs).
  struct Figures {
    int64_t runs = 0;
    int64_t failures = 0;
    double seconds = 0;
    double pause_seconds = 0;
    double last_seconds = 0;
    double last_pause_seconds = 0;
    std::map<std::string, int64_t> removed;  // by GcRemoved::kind
  } figures_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
  std::thread thread_;
};

}  // namespace berth::gc_plugin
