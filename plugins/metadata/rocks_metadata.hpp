// berth::Metadata on one RocksDB database: writers serialised and committed
// atomically, readers on snapshots, all namespaced state in one keyspace.
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
#include "berth/namespaced_content.hpp"
#include "berth/snapshotter.hpp"
#include "lease_store.hpp"
#include "namespace_store.hpp"
#include "namespaced_content.hpp"
#include "namespaced_snapshots.hpp"

namespace berth::metadata {

struct MetadataOptions {
  // fsync the WAL on every commit. Without it a commit survives a crash of
  // the process but not of the machine.
  bool sync_writes = true;
};

// Also the namespaced view of the content store (MetadataContent over the
// backend given to set_content_backend), as containerd's metadata plugin is.
class RocksMetadata final : public Instance,
                            public Metadata,
                            public NamespacedContent,
                            public NamespacedSnapshots {
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
  NamespaceStore& namespaces() override { return namespaces_; }
  LeaseStore& leases() override { return leases_; }

  // The backend content store that NamespacedContent wraps. Until one is set,
  // every NamespacedContent call fails with FailedPrecondition. Writers handed
  // out must not outlive this object.
  void set_content_backend(std::shared_ptr<ContentStore> backend) {
    content_.set_backend(std::move(backend));
  }

  Result<ContentInfo> info(const ContentScope& scope, std::string_view digest) override {
    return content_.info(scope, digest);
  }
  Result<ContentInfo> update(const ContentScope& scope, const ContentInfo& info,
                             const std::vector<std::string>& paths) override {
    return content_.update(scope, info, paths);
  }
  Status walk(const ContentScope& scope, const std::vector<std::string>& filters,
              const std::function<bool(const ContentInfo&)>& fn) override {
    return content_.walk(scope, filters, fn);
  }
  Status remove(const ContentScope& scope, std::string_view digest) override {
    return content_.remove(scope, digest);
  }
  Result<std::unique_ptr<ContentReader>> reader(const ContentScope& scope, std::string_view digest) override {
    return content_.reader(scope, digest);
  }
  Result<std::unique_ptr<NamespacedWriter>> writer(const ContentScope& scope, std::string_view ref,
                                                   int64_t total, std::string_view expected) override {
    return content_.writer(scope, ref, total, expected);
  }
  Result<IngestStatus> status(const ContentScope& scope, std::string_view ref) override {
    return content_.status(scope, ref);
  }
  Result<std::vector<IngestStatus>> list_statuses(const ContentScope& scope,
                                                  const std::vector<std::string>& filters) override {
    return content_.list_statuses(scope, filters);
  }
  Status abort(const ContentScope& scope, std::string_view ref) override {
    return content_.abort(scope, ref);
  }

  // The namespaced view of the snapshotters handed to add_snapshotter (at
  // init, before any request).
  void add_snapshotter(std::string name, std::shared_ptr<Snapshotter> backend) {
    snapshots_.add_backend(std::move(name), std::move(backend));
  }
  [[nodiscard]] std::vector<std::string> names() const override { return snapshots_.names(); }
  Result<std::unique_ptr<Snapshotter>> get(const ContentScope& scope, std::string_view name) override {
    return snapshots_.get(scope, name);
  }

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

  KvNamespaceStore namespaces_;
  KvLeaseStore leases_;
  MetadataContent content_{*this, nullptr};
  MetadataSnapshots snapshots_{*this};
};

}  // namespace berth::metadata
