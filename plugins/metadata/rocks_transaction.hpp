// berth::Transaction over RocksDB. A read-only transaction reads one snapshot;
// a writable one stages its writes in a WriteBatchWithIndex and reads through
// it, so it sees its own writes before they are committed.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/utilities/write_batch_with_index.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/metadata.hpp"

namespace berth::metadata {

class RocksTransaction final : public Transaction {
 public:
  // `batch` null makes the transaction read-only. `db_path` only names the
  // database in error messages. Everything must outlive the transaction.
  RocksTransaction(rocksdb::DB* db, const rocksdb::Snapshot* snapshot, rocksdb::WriteBatchWithIndex* batch,
                   const std::string& db_path);

  [[nodiscard]] bool writable() const override { return batch_ != nullptr; }
  [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status del(std::string_view key) override;
  // `fn` may put and del on this transaction while scanning: the scan then
  // continues after the current key and sees keys written ahead of it.
  Status scan(std::string_view prefix,
              const std::function<bool(std::string_view key, std::string_view value)>& fn) override;
  // Kept for RocksMetadata::update to run after the commit (take_commit_hooks).
  void after_commit(std::function<void()> fn) override;
  std::vector<std::function<void()>> take_commit_hooks() { return std::move(commit_hooks_); }

 private:
  Status check_write(std::string_view op, std::string_view key) const;
  [[nodiscard]] std::string context(std::string_view op, std::string_view key) const;

  rocksdb::DB* db_;
  rocksdb::ReadOptions read_options_;
  rocksdb::WriteBatchWithIndex* batch_;
  const std::string& db_path_;
  // Counts put/del so scan can tell when its iterator was invalidated.
  uint64_t writes_ = 0;
  std::vector<std::function<void()>> commit_hooks_;
};

}  // namespace berth::metadata
