// Garbage collection, as containerd does it: a mark and sweep over the
// metadata records of every namespace, then each backend's cleanup of what no
// namespace records any more.
//
// Two interfaces, two plugins:
//   berth::GarbageCollector  the collection itself, kept beside the records
//                            (io.containerd.service.v1.gc-service, plugins/metadata)
//   berth::GcScheduler       when to collect (io.containerd.gc.v1.scheduler,
//                            plugins/gc); deletes with `sync` wait on it
//
// Roots: images, containers, objects labelled containerd.io/gc.root, leases
// that have not expired (containerd.io/gc.expire), ingests not held by a
// lease. References: containerd.io/gc.ref.content[.*|/*] and
// containerd.io/gc.ref.snapshot.<snapshotter>[/*] labels, an image's target,
// a container's snapshot, a snapshot's parent, a lease's resources (only the
// resources themselves, not what they reference, under containerd.io/gc.flat).
//
// Threading: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"

namespace berth {

inline constexpr std::string_view kGcPluginType = "io.containerd.gc.v1";
inline constexpr std::string_view kGcServiceId = "gc-service";

// One object a collection removed (or, dry, would remove).
struct GcRemoved {
  // "content", "snapshot", "lease", "ingest": a namespace's record;
  // "blob", "backend-snapshot": what a backend held that no namespace records.
  std::string kind;
  std::string ns;  // empty for backend objects
  // The digest, lease id or ingest ref; "<snapshotter>/<key>" for a snapshot
  // record; "<snapshotter>/<backend key>" for a backend snapshot.
  std::string id;

  friend bool operator==(const GcRemoved&, const GcRemoved&) = default;
};

struct GcResult {
  bool dry_run = false;
  int64_t duration_ns = 0;  // the whole collection
  int64_t pause_ns = 0;     // how long it held the metadata writer lock
  std::vector<GcRemoved> removed;

  // What left the disk (backend blobs and snapshots) and the records removed
  // of the other kinds: the counts events::GcRun carries.
  [[nodiscard]] int64_t count(std::string_view kind) const;
};

class GarbageCollector {
 public:
  virtual ~GarbageCollector();
  // One collection; `dry_run` marks and reports what a sweep would remove,
  // removing nothing. Collections do not overlap: a second caller waits.
  virtual Result<GcResult> collect(bool dry_run) = 0;
  // The one mutation listener (the scheduler's): called after each committed
  // metadata change, `deletion` when it removed an object or a reference
  // (containerd's dirty flag). Must be quick: it runs under the metadata
  // writer lock. Null clears it.
  virtual void on_mutation(std::function<void(bool deletion)> fn) = 0;
};

class GcScheduler {
 public:
  virtual ~GcScheduler();
  // Asks for a collection now and waits for the next one to finish
  // (containerd's ScheduleAndWait: what a delete with `sync` does).
  virtual Result<GcResult> schedule_and_wait() = 0;
  // A dry run straight through the collector, outside the schedule.
  virtual Result<GcResult> dry_run() = 0;
};

}  // namespace berth
