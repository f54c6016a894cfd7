// berth::Metadata on one RocksDB database: writers serialised and committed
// atomically, readers on snapshots, all namespaced state in one keyspace
// (keys.hpp). The database and its transactions only: the records of each
// kind are kept by the service objects beside it (README.md).
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "group_sync.hpp"
#include "ticket_mutex.hpp"

namespace berth::metadata {

// One key a committed transaction wrote (put) or deleted.
struct CommittedWrite {
  std::string key;
  bool deleted = false;
};

// Called for every committed update that wrote anything, with its writes in
// order, while the writer lock is still held: observers see commits in commit
// order, and a later update() sees every commit its observer was told of. It
// must be quick and must not open transactions.
using CommitObserver = std::function<void(const std::vector<CommittedWrite>&)>;

struct MetadataOptions {
  // fsync the WAL on every commit. Without it a commit survives a crash of
  // the process but not of the machine.
  bool sync_writes = true;
};

class RocksMetadata final : public Instance, public Metadata {
 public:
  // Opens or creates the database directory `path`. Unavailable when another
  // process holds it; FailedPrecondition when it has a newer schema.
  static Result<std::shared_ptr<RocksMetadata>> open(const std::filesystem::path& path,
                                                     MetadataOptions options);

  ~RocksMetadata() override;

  // A nested update() from inside `fn` on the same thread fails with
  // FailedPrecondition instead of deadlocking. The commit is flushed after
  // the writer lock is left, with those of other updates waiting then
  // (group_sync.hpp): readers see it from its write, the caller once it is
  // on disk.
  Status update(const std::function<Status(Transaction&)>& fn) override;
  Status view(const std::function<Status(Transaction&)>& fn) override;
  // update() whose commit is written but not flushed: it survives a crash of
  // the process, and one of the machine only once sync() or a later durable
  // commit has returned. For the collector's removals, which a crash may undo
  // harmlessly as long as nothing outside the database follows them before
  // sync(); a flush per update would hold every writer queued behind it.
  Status update_unsynced(const std::function<Status(Transaction&)>& fn);
  // Flushes every commit so far to disk.
  Status sync();

  // Waits for running transactions, then flushes and closes the database.
  // Idempotent; update and view fail with FailedPrecondition afterwards.
  // Calling it from inside update() or view() would wait for itself forever.
  Status close() override;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  // Sets the one commit observer (the garbage collector's); null clears it.
  void observe_commits(CommitObserver fn);

  // Orders blobs entering the backend content store against the collector's
  // sweep of unrecorded backend blobs: a commit holds it shared from before
  // its backend commit until its record is committed, the sweep holds it
  // exclusively, so a blob committed but not yet recorded is never swept.
  [[nodiscard]] std::shared_lock<std::shared_mutex> hold_blobs() { return std::shared_lock(blobs_mu_); }
  [[nodiscard]] std::unique_lock<std::shared_mutex> sweep_blobs() { return std::unique_lock(blobs_mu_); }

 private:
  class Active;

  Status update_with(const std::function<Status(Transaction&)>& fn, bool sync);

  RocksMetadata(std::filesystem::path path, MetadataOptions options, std::unique_ptr<rocksdb::DB> db);

  const std::filesystem::path path_;
  const std::string path_string_;
  const MetadataOptions options_;
  std::unique_ptr<rocksdb::DB> db_;

  // Transactions in flight, so close() can wait for them. A counter rather
  // than a shared_mutex because a view() may run inside an update() on the
  // same thread, and re-entrant shared locking is undefined.
  std::mutex state_mu_;
  std::condition_variable idle_;
  int active_ = 0;
  bool closed_ = false;

  TicketMutex writer_mu_;  // first come, first served (ticket_mutex.hpp)
  GroupSync synced_;       // durable updates flush after leaving writer_mu_
  std::atomic<std::thread::id> writer_thread_{};
  CommitObserver observer_;  // guarded by writer_mu_

  std::shared_mutex blobs_mu_;
};

}  // namespace berth::metadata
