// berth::GarbageCollector over the metadata database and its backends: the
// instance of io.containerd.service.v1.gc-service.
//
// A collection never holds the metadata writer lock while it marks:
//  1. It starts noting which objects commits touch (RocksMetadata's commit
//     observer), then marks everything reachable on a read-only snapshot.
//  2. In short updates (about a millisecond of work each, SweepOptions) it
//     marks again from the objects touched since the update before, reading
//     their current state, and removes records still unmarked. Anything a
//     writer made reachable meanwhile was reached through an object it wrote
//     (a new root, or a new label, resource or parent on an object), so it
//     is kept; the next collection sees it anew. The marks carry over from
//     one update to the next, so each re-marks only what changed since the
//     last. These updates are the collection's only pauses for API writes.
//  3. The backends follow, outside the writer lock, once the removals are
//     flushed to disk: blobs no namespace records (under
//     RocksMetadata::sweep_blobs, so a blob committed but not yet recorded
//     is never taken); snapshots no namespace records, leaf first (a backend
//     key names one snapshot for good, so one the records do not name once
//     the updates that were running have finished never gains a record),
//     then each snapshotter's cleanup; ingests removed get their backend
//     data aborted.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include "berth/content_store.hpp"
#include "berth/events.hpp"
#include "berth/gc.hpp"
#include "berth/instance.hpp"
#include "gc_refs.hpp"
#include "namespaced_snapshots.hpp"
#include "rocks_metadata.hpp"
#include "thread_priority.hpp"

namespace berth::metadata {

// How the sweep goes (the defaults are the daemon's).
struct SweepOptions {
  // Work per update before it commits (at least one record each): the
  // longest a writer waits for the collector.
  std::chrono::nanoseconds budget = std::chrono::milliseconds(1);
  // Called after each of the sweep's updates, outside the writer lock, with
  // the number of unreachable records looked at so far and their total.
  std::function<void(std::size_t done, std::size_t total)> after_update;
  // The collecting thread's nice value outside the writer lock (see
  // thread_priority.hpp); 0 leaves it as it is.
  int nice = 10;
};

class MetadataCollector final : public Instance, public GarbageCollector {
 public:
  // `events` (may be null) hears of each run (/gc/run).
  MetadataCollector(std::shared_ptr<RocksMetadata> md, std::shared_ptr<ContentStore> content,
                    Snapshotters snapshotters, std::shared_ptr<EventPublisher> events = nullptr,
                    SweepOptions sweep = {});
  ~MetadataCollector() override;

  Result<GcResult> collect(bool dry_run) override;
  void on_mutation(std::function<void(bool deletion)> fn) override;
  Status close() override;

 private:
  // The sweep's updates, for the log.
  struct SweepFigures {
    std::size_t updates = 0;
    int64_t longest_ns = 0;    // the longest update's work
    std::size_t remarked = 0;  // objects marked again because writers touched them
  };

  void observed(const std::vector<CommittedWrite>& writes);
  // Steps 1 and 2; the records removed go to `out`, and, for the backends,
  // the blobs and backend snapshot keys still recorded afterwards.
  Status sweep_records(bool dry_run, GcResult& out, SweepFigures& figures, std::set<std::string>& kept_blobs,
                       std::map<std::string, std::set<std::string>, std::less<>>& kept_snapshots,
                       std::vector<std::string>& ingests_removed);
  Status sweep_blobs(bool dry_run, const std::set<std::string>& kept_dry, GcResult& out);
  Status sweep_snapshots(bool dry_run, const std::string& sn, Snapshotter& backend,
                         const std::set<std::string>& kept_dry, GcResult& out);
  void publish(const GcResult& result);

  const std::shared_ptr<RocksMetadata> md_;
  const std::shared_ptr<ContentStore> content_;
  const Snapshotters snapshotters_;
  const std::shared_ptr<EventPublisher> events_;
  const SweepOptions sweep_;

  std::mutex run_mu_;  // one collection at a time
  // The running collection's priority (null between runs), under run_mu_;
  // raised() around whatever holds up API calls while the collector has it.
  const ThreadPriority* priority_ = nullptr;
  [[nodiscard]] ThreadPriority::Raised raised() const { return ThreadPriority::Raised(priority_); }

  std::mutex observe_mu_;  // guards the members below
  std::function<void(bool)> on_mutation_;
  bool tracking_ = false;
  std::set<gc::Node> touched_;
};

}  // namespace berth::metadata
