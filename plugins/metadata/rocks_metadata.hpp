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
#include <string>
#include <thread>

#include "berth/instance.hpp"
#include "berth/metadata.hpp"

namespace berth::metadata {

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
  // FailedPrecondition instead of deadlocking.
  Status update(const std::function<Status(Transaction&)>& fn) override;
  Status view(const std::function<Status(Transaction&)>& fn) override;

  // Waits for running transactions, then flushes and closes the database.
  // Idempotent; update and view fail with FailedPrecondition afterwards.
  // Calling it from inside update() or view() would wait for itself forever.
  Status close() override;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  class Active;

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

  std::mutex writer_mu_;
  std::atomic<std::thread::id> writer_thread_{};
};

}  // namespace berth::metadata
