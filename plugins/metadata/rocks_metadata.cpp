#include "rocks_metadata.hpp"

#include <rocksdb/options.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <charconv>
#include <system_error>
#include <vector>

#include "berth/log.hpp"
#include "keys.hpp"
#include "rocks_status.hpp"
#include "rocks_transaction.hpp"

namespace berth::metadata {
namespace {

// The keys of a committed batch, for the commit observer.
class WriteCollector final : public rocksdb::WriteBatch::Handler {
 public:
  explicit WriteCollector(std::vector<CommittedWrite>& out) : out_(out) {}
  void Put(const rocksdb::Slice& key, const rocksdb::Slice&) override {
    out_.push_back({key.ToString(), false});
  }
  void Delete(const rocksdb::Slice& key) override { out_.push_back({key.ToString(), true}); }
  void SingleDelete(const rocksdb::Slice& key) override { out_.push_back({key.ToString(), true}); }

 private:
  std::vector<CommittedWrite>& out_;
};

}  // namespace
namespace {

rocksdb::Options db_options() {
  rocksdb::Options o;
  // Metadata stays small (megabytes); the defaults size memtables and caches
  // for databases of hundreds of gigabytes.
  o.OptimizeForSmallDb();
  o.create_if_missing = true;
  // RocksDB's own LOG files would otherwise accumulate in the database dir
  // for the life of the host.
  o.keep_log_file_num = 4;
  o.max_log_file_size = 1 << 20;
  return o;
}

Status check_schema(rocksdb::DB* db, const std::string& path) {
  std::string stored;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), keys::kSchemaVersionKey, &stored);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    BERTH_RETURN_IF_ERROR(from_rocks(it->status(), "read metadata database " + path));
    if (it->Valid()) {
      return data_loss("metadata database " + path +
                       " holds data but no schema version; refusing to guess its layout");
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return from_rocks(db->Put(wo, keys::kSchemaVersionKey, std::to_string(keys::kSchemaVersion)),
                      "write schema version of " + path);
  }
  BERTH_RETURN_IF_ERROR(from_rocks(s, "read schema version of " + path));
  int version = 0;
  const char* end = stored.data() + stored.size();
  auto [ptr, ec] = std::from_chars(stored.data(), end, version);
  if (ec != std::errc() || ptr != end || version < 1) {
    return data_loss("metadata database " + path + " has an unreadable schema version \"" +
                     keys::printable(stored) + "\"");
  }
  if (version > keys::kSchemaVersion) {
    return failed_precondition("metadata database " + path + " has schema version " +
                               std::to_string(version) + ", newer than version " +
                               std::to_string(keys::kSchemaVersion) +
                               " supported by this berthd; run a newer berthd or use another root");
  }
  return {};
}

}  // namespace

// Registers one transaction as running for the duration of a scope.
class RocksMetadata::Active {
 public:
  explicit Active(RocksMetadata& md) : md_(md) {
    std::lock_guard lock(md_.state_mu_);
    if (md_.closed_) {
      status_ = failed_precondition("metadata database " + md_.path_string_ + " is closed");
    } else {
      ++md_.active_;
    }
  }
  ~Active() {
    if (!status_.ok()) return;
    std::lock_guard lock(md_.state_mu_);
    if (--md_.active_ == 0) md_.idle_.notify_all();
  }
  Active(const Active&) = delete;
  Active& operator=(const Active&) = delete;
  [[nodiscard]] const Status& status() const { return status_; }

 private:
  RocksMetadata& md_;
  Status status_;
};

Result<std::shared_ptr<RocksMetadata>> RocksMetadata::open(const std::filesystem::path& path,
                                                           MetadataOptions options) {
  const std::string shown = path.string();
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return errno_status("create parent of metadata database " + shown, ec.value());

  rocksdb::DB* raw = nullptr;
  BERTH_RETURN_IF_ERROR(
      from_rocks(rocksdb::DB::Open(db_options(), shown, &raw), "open metadata database " + shown));
  std::unique_ptr<rocksdb::DB> db(raw);
  if (Status st = check_schema(db.get(), shown); !st.ok()) {
    (void)db->Close();
    return st;
  }
  log::info("metadata: opened {} (sync_writes={})", shown, options.sync_writes);
  return std::shared_ptr<RocksMetadata>(new RocksMetadata(path, options, std::move(db)));
}

RocksMetadata::RocksMetadata(std::filesystem::path path, MetadataOptions options,
                             std::unique_ptr<rocksdb::DB> db)
    : path_(std::move(path)),
      path_string_(path_.string()),
      options_(options),
      db_(std::move(db)),
      synced_([this] { return from_rocks(db_->SyncWAL(), "sync WAL of " + path_string_); }) {}

RocksMetadata::~RocksMetadata() {
  if (Status st = close(); !st.ok()) log::error("metadata: {}", st.message());
}

Status RocksMetadata::update(const std::function<Status(Transaction&)>& fn) {
  return update_with(fn, options_.sync_writes);
}

Status RocksMetadata::update_unsynced(const std::function<Status(Transaction&)>& fn) {
  return update_with(fn, false);
}

Status RocksMetadata::sync() {
  if (!options_.sync_writes) return {};  // durability was not asked for
  Active active(*this);
  BERTH_RETURN_IF_ERROR(active.status());
  return synced_.wait(synced_.latest());
}

Status RocksMetadata::update_with(const std::function<Status(Transaction&)>& fn, bool sync) {
  if (writer_thread_.load() == std::this_thread::get_id()) {
    return failed_precondition("metadata update started inside another update on the same thread");
  }
  Active active(*this);
  BERTH_RETURN_IF_ERROR(active.status());
  std::vector<std::function<void()>> hooks;
  GroupSync::Ticket ticket = 0;  // none: nothing written
  {
    std::lock_guard lock(writer_mu_);
    writer_thread_.store(std::this_thread::get_id());
    struct ClearWriter {
      std::atomic<std::thread::id>& t;
      ~ClearWriter() { t.store(std::thread::id()); }
    } clear{writer_thread_};

    // Writers are serialised, so nothing commits under us; the snapshot only
    // keeps reads and scans inside `fn` on one consistent version.
    rocksdb::ManagedSnapshot snapshot(db_.get());
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
    RocksTransaction tx(db_.get(), snapshot.snapshot(), &batch, path_string_);
    BERTH_RETURN_IF_ERROR(fn(tx));
    if (batch.GetWriteBatch()->Count() > 0) {
      // Written, not flushed: the flush comes after the lock (group_sync.hpp).
      BERTH_RETURN_IF_ERROR(from_rocks(db_->Write(rocksdb::WriteOptions(), batch.GetWriteBatch()),
                                       "commit metadata transaction to " + path_string_));
      ticket = synced_.written();
      if (observer_) {
        std::vector<CommittedWrite> writes;
        WriteCollector collect(writes);
        if (rocksdb::Status s = batch.GetWriteBatch()->Iterate(&collect); s.ok()) {
          observer_(writes);
        } else {
          log::error("metadata: cannot list the writes of a commit: {}", s.ToString());
        }
      }
    }
    hooks = tx.take_commit_hooks();
  }
  if (sync && ticket != 0) {
    // The flush's own error names the WAL and the database.
    BERTH_RETURN_IF_ERROR(synced_.wait(ticket).with_context("commit metadata transaction"));
  }
  // Outside the writer lock: a hook (an event's delivery) never holds up the
  // next writer, and may itself open transactions. After the flush: nothing
  // is announced that a crash could take back.
  for (auto& hook : hooks) hook();
  return {};
}

void RocksMetadata::observe_commits(CommitObserver fn) {
  std::lock_guard lock(writer_mu_);
  observer_ = std::move(fn);
}

Status RocksMetadata::view(const std::function<Status(Transaction&)>& fn) {
  Active active(*this);
  BERTH_RETURN_IF_ERROR(active.status());
  rocksdb::ManagedSnapshot snapshot(db_.get());
  RocksTransaction tx(db_.get(), snapshot.snapshot(), nullptr, path_string_);
  return fn(tx);
}

Status RocksMetadata::close() {
  std::unique_lock lock(state_mu_);
  if (closed_) return {};
  closed_ = true;
  idle_.wait(lock, [this] { return active_ == 0; });

  Status result;
  auto keep_first = [&result](Status st) {
    if (result.ok()) result = std::move(st);
  };
  if (!options_.sync_writes) keep_first(from_rocks(db_->FlushWAL(true), "sync WAL of " + path_string_));
  // Flushing the memtable spares the next open a WAL replay.
  keep_first(from_rocks(db_->Flush(rocksdb::FlushOptions()), "flush metadata database " + path_string_));
  keep_first(from_rocks(db_->Close(), "close metadata database " + path_string_));
  db_.reset();
  return result;
}

}  // namespace berth::metadata
