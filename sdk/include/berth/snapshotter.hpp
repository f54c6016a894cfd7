// Snapshotters: the file systems of containers and image layers, as a tree of
// snapshots. A committed snapshot is immutable and may be the parent of
// others; an active snapshot is writable (prepare), a view is read-only
// (view); both have a parent (or none) and become nothing else except that an
// active one may be committed under a new name.
//
// Interface type: "io.containerd.snapshotter.v1". A backend (plugins/
// snapshotter-overlay, plugins/snapshotter-native) keeps its own state under
// its own root and knows nothing of namespaces: the snapshots service maps
// each namespace's keys onto backend keys and keeps the labels clients see
// (berth/namespaced_snapshots.hpp), as containerd does.
//
// Errors, as containerd's: NotFound for a missing key or parent;
// AlreadyExists for a key in use; FailedPrecondition for a parent that is
// not committed, a commit of a snapshot that is not active, or a remove of a
// snapshot that has children; InvalidArgument for an empty key or bad label.
//
// Threading: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/mount.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

inline constexpr std::string_view kSnapshotterPluginType = "io.containerd.snapshotter.v1";

// The numbering of containerd's snapshots API (Kind).
enum class SnapshotKind { kUnknown = 0, kView = 1, kActive = 2, kCommitted = 3 };

std::string_view snapshot_kind_name(SnapshotKind kind);  // "view", "active", "committed", "unknown"

struct SnapshotInfo {
  std::string name;    // the key (active, view) or the name (committed)
  std::string parent;  // "" for none
  SnapshotKind kind = SnapshotKind::kUnknown;
  Labels labels;
  TimestampNs created_at = 0;
  TimestampNs updated_at = 0;
};

struct SnapshotUsage {
  int64_t size = 0;    // bytes of disk used by this snapshot alone (not its parents)
  int64_t inodes = 0;  // inodes used by this snapshot alone
};

// A snapshot's value for a filter field path (name, parent, kind,
// labels.<key>): what every snapshotter's walk filters on.
std::optional<std::string> snapshot_field(const SnapshotInfo& info, const std::vector<std::string>& path);

using SnapshotWalkFn = std::function<bool(const SnapshotInfo&)>;  // false stops the walk

class Snapshotter {
 public:
  virtual ~Snapshotter();

  virtual Result<SnapshotInfo> stat(std::string_view key) = 0;
  // Replaces the labels ("labels" path or none) or sets/removes single ones
  // ("labels.<key>"); other paths are InvalidArgument. Returns the new info.
  virtual Result<SnapshotInfo> update(const SnapshotInfo& info, const std::vector<std::string>& paths) = 0;
  // Of an active snapshot: what it uses now; of a committed one: its size.
  virtual Result<SnapshotUsage> usage(std::string_view key) = 0;
  // The mounts of an active snapshot or view.
  virtual Result<std::vector<Mount>> mounts(std::string_view key) = 0;
  // A new writable snapshot on `parent` (a committed snapshot, or "").
  virtual Result<std::vector<Mount>> prepare(std::string_view key, std::string_view parent,
                                             const Labels& labels) = 0;
  // A new read-only snapshot on `parent`.
  virtual Result<std::vector<Mount>> view(std::string_view key, std::string_view parent,
                                          const Labels& labels) = 0;
  // Turns the active snapshot `key` into the committed snapshot `name`; `key`
  // is gone afterwards.
  virtual Status commit(std::string_view name, std::string_view key, const Labels& labels) = 0;
  virtual Status remove(std::string_view key) = 0;
  // Every snapshot matching any of `filters` (containerd syntax over name,
  // parent, kind, labels.<key>); all when there are none.
  virtual Status walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) = 0;
  // Removes what removed snapshots left on disk (a backend may defer it).
  virtual Status cleanup() = 0;
  // Removes `keys` in the order given, each as remove() would (NotFound,
  // FailedPrecondition while it has children), and returns one Status per
  // key, in order. A key whose children all come earlier in the same call
  // is removable: callers list children before their parents. A backend
  // makes the whole call one durable change (one flush instead of one per
  // key); this default calls remove() for each key.
  virtual std::vector<Status> remove_all(const std::vector<std::string>& keys);
};

}  // namespace berth
