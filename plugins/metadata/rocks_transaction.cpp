#include "rocks_transaction.hpp"

#include <cassert>
#include <memory>

#include "keys.hpp"
#include "rocks_status.hpp"

namespace berth::metadata {

RocksTransaction::RocksTransaction(rocksdb::DB* db, const rocksdb::Snapshot* snapshot,
                                   rocksdb::WriteBatchWithIndex* batch, const std::string& db_path)
    : db_(db), batch_(batch), db_path_(db_path) {
  read_options_.snapshot = snapshot;
}

std::string RocksTransaction::context(std::string_view op, std::string_view key) const {
  return "metadata " + db_path_ + ": " + std::string(op) + " \"" + keys::printable(key) + "\"";
}

Status RocksTransaction::check_write(std::string_view op, std::string_view key) const {
  if (batch_ == nullptr) return failed_precondition("transaction is read-only");
  // The schema version is owned by open(); a store overwriting it could make
  // the database unreadable to every later berthd.
  if (key == keys::kSchemaVersionKey) {
    return invalid_argument(context(op, key) + ": key is reserved for the schema version");
  }
  return {};
}

Result<std::optional<std::string>> RocksTransaction::get(std::string_view key) {
  std::string value;
  const rocksdb::Slice k(key.data(), key.size());
  const rocksdb::Status s = batch_ != nullptr ? batch_->GetFromBatchAndDB(db_, read_options_, k, &value)
                                              : db_->Get(read_options_, k, &value);
  if (s.IsNotFound()) return std::optional<std::string>{};
  if (!s.ok()) return from_rocks(s, context("get", key));
  return std::optional<std::string>(std::move(value));
}

Status RocksTransaction::put(std::string_view key, std::string_view value) {
  BERTH_RETURN_IF_ERROR(check_write("put", key));
  ++writes_;
  return from_rocks(
      batch_->Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size())),
      context("put", key));
}

void RocksTransaction::after_commit(std::function<void()> fn) {
  // A read-only transaction never commits; asking is a bug in the caller.
  assert(writable() && "after_commit on a read-only transaction");
  if (writable()) commit_hooks_.push_back(std::move(fn));
}

Status RocksTransaction::del(std::string_view key) {
  BERTH_RETURN_IF_ERROR(check_write("delete", key));
  ++writes_;
  return from_rocks(batch_->Delete(rocksdb::Slice(key.data(), key.size())), context("delete", key));
}

Status RocksTransaction::scan(std::string_view prefix,
                              const std::function<bool(std::string_view key, std::string_view value)>& fn) {
  // The upper bound lets RocksDB stop at the prefix's end instead of walking
  // into the next range (and over its tombstones) to find out it is done.
  const std::string upper = keys::prefix_end(prefix);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro = read_options_;
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  if (batch_ != nullptr) {
    it.reset(batch_->NewIteratorWithBase(db_->DefaultColumnFamily(), it.release(), &ro));
  }
  const rocksdb::Slice p(prefix.data(), prefix.size());
  std::string key;
  std::string value;
  for (it->Seek(p); it->Valid() && it->key().starts_with(p);) {
    const uint64_t writes_before = writes_;
    bool more;
    if (batch_ == nullptr) {
      more = fn(it->key().ToStringView(), it->value().ToStringView());
    } else {
      // A write to the batch invalidates the iterator's key() and value()
      // at once, possibly while `fn` still holds views of them.
      key.assign(it->key().data(), it->key().size());
      value.assign(it->value().data(), it->value().size());
      more = fn(key, value);
    }
    if (!more) break;
    if (writes_ == writes_before) {
      it->Next();
    } else {
      it->Seek(key);
      if (it->Valid() && it->key() == rocksdb::Slice(key)) it->Next();
    }
  }
  return from_rocks(it->status(), context("scan", prefix));
}

}  // namespace berth::metadata
