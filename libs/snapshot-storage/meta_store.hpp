// The snapshot records of one snapshotter, as containerd's snapshots/storage
// keeps them: key -> id, kind, parent, labels, times; kept in
// <root>/metadata.json plus <root>/metadata.journal: each change is one line
// appended to the journal (one write, one fdatasync, whatever the number of
// snapshots), and the journal is folded into metadata.json, rewritten whole
// and atomically, once it has grown as long as the records. Both are read
// once at open. Every check of the Snapshotter contract that needs only
// the records lives here, so both snapshotters answer alike.
//
// The directories: <root>/snapshots/<id> belongs to the snapshot with that
// id. A snapshotter creates it between reserve() and record(), so a record
// never names a directory that is not there, and removes it after remove(),
// so a crash leaves at worst a directory without a record, which cleanup()
// deletes. Ids are never reused: next_id is persisted, and raised at open
// above every directory found.
//
// Threading: every method may be called from any thread; one mutex guards
// the records and is never held while a caller's callback runs.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "berth/snapshotter.hpp"
#include "snapshot-storage/journal.hpp"
#include "snapshot-storage/record.hpp"

namespace berth::snapshot {

// A snapshot being created: its key and id are taken and its parent cannot
// be removed, but it is not visible until record(), nor after abandon().
struct Reservation {
  SnapshotId id = 0;
  std::string key;
  SnapshotKind kind = SnapshotKind::kUnknown;
  std::vector<SnapshotId> parent_ids;  // the parent's id first, then its parent's...
};

// A snapshot and the ids of its ancestors, nearest first.
struct Snapshot {
  Record record;
  std::vector<SnapshotId> parent_ids;
};

class MetaStore {
 public:
  // Creates <root> and <root>/snapshots if needed and loads the records.
  // The journal is folded into metadata.json once it holds more lines than
  // `fold_after` or than there are records, whichever is more: replaying it at
  // open then stays cheap, and the whole file is rewritten once per that many
  // changes instead of on every one.
  static constexpr std::size_t kFoldAfter = 1000;
  static Result<std::unique_ptr<MetaStore>> open(const std::filesystem::path& root,
                                                 std::size_t fold_after = kFoldAfter);
  ~MetaStore();
  MetaStore(const MetaStore&) = delete;
  MetaStore& operator=(const MetaStore&) = delete;

  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  [[nodiscard]] std::filesystem::path snapshots_dir() const { return root_ / "snapshots"; }
  [[nodiscard]] std::filesystem::path dir_of(SnapshotId id) const {
    return snapshots_dir() / std::to_string(id);
  }

  // Checks a new active snapshot or view: key not empty (InvalidArgument),
  // labels valid, key unused (AlreadyExists), parent "" or existing
  // (NotFound) and committed (FailedPrecondition). Then reserves it.
  Result<Reservation> reserve(SnapshotKind kind, std::string_view key, std::string_view parent,
                              const Labels& labels);
  // Makes a reserved snapshot real and durable; on failure it stays reserved.
  Status record(const Reservation& reservation);
  // Releases a reservation that will not be recorded.
  void abandon(const Reservation& reservation);

  // reserve(), then `make` creates the snapshot's files under dir_of(id),
  // then record(). Files first, record second: a crash in between leaves
  // only a directory without a record, which cleanup() removes; a failure
  // removes it at once and abandons the reservation.
  Result<Reservation> create(SnapshotKind kind, std::string_view key, std::string_view parent,
                             const Labels& labels, const std::function<Status(const Reservation&)>& make);

  Result<Snapshot> get(std::string_view key) const;

  // Active `key` becomes committed `name`, keeping its id and directory.
  // NotFound without `key`; FailedPrecondition if it is not active;
  // AlreadyExists if `name` is taken.
  Status commit(std::string_view name, std::string_view key, const Labels& labels,
                const SnapshotUsage& usage);
  // commit(), with the usage measured first under layer_dir(id) of the active
  // snapshot (where its own files are): a committed snapshot no longer changes.
  Status commit_measured(std::string_view name, std::string_view key, const Labels& labels,
                         const std::function<std::filesystem::path(SnapshotId)>& layer_dir);

  // Forgets `key`, returning what it was (its directory is the caller's to
  // remove). NotFound without it; FailedPrecondition if it has children.
  Result<Record> remove(std::string_view key);
  // remove() of each of `keys` in order, as one change: one journal line
  // and one flush for the lot, which is what makes the GC's sweep of
  // thousands of snapshots cheap. A key's children removed earlier in the
  // same call count as gone. Returns, per key in order, its record or why
  // it stays. Should the change fail to save, every key that would have
  // gone fails with that error and nothing changes.
  std::vector<Result<Record>> remove_all(const std::vector<std::string>& keys);

  // The Snapshotter::update contract, over labels only.
  Result<SnapshotInfo> update(const SnapshotInfo& info, const std::vector<std::string>& paths);

  // Calls `fn` with every snapshot matching `filters` (see berth/filters.hpp),
  // outside the lock, on a copy taken at the start.
  Status walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) const;

  // Removes every entry of snapshots/ that no record or reservation owns.
  Status cleanup();

 private:
  MetaStore(std::filesystem::path root, State state, std::unique_ptr<Journal> journal,
            std::size_t fold_after);

  // Makes `change` durable in the journal, then applies it to the state.
  // Lock held.
  Status save(Change change);
  // How many records and reservations name each key as their parent. Lock held.
  [[nodiscard]] std::map<std::string, std::size_t, std::less<>> child_counts() const;
  [[nodiscard]] std::vector<SnapshotId> ancestors(std::string_view parent) const;  // lock held

  const std::filesystem::path root_;
  mutable std::mutex mu_;
  State state_;
  std::map<std::string, Record, std::less<>> pending_;  // reserved, by key
  std::unique_ptr<Journal> journal_;
  const std::size_t fold_after_;
};

// A snapshotter's remove_all: store.remove_all(keys), then, outside the
// store's lock, `after` with each removed record (to take its directory,
// whose failure cleanup() mends); one Status per key, in order.
std::vector<Status> remove_all_then(MetaStore& store, const std::vector<std::string>& keys,
                                    const std::function<Status(const Record&, std::string_view key)>& after);

}  // namespace berth::snapshot
