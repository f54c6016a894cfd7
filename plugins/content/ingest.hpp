// One resumable ingest: the writer side of the store.
//
// Everything a writer knows is on disk in ingest/<hash>/ (see paths.hpp), and
// the offset is simply the size of `data`, so a writer closed, destroyed or
// killed with -9 resumes exactly where the kernel last accepted bytes.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "berth/content_store.hpp"
#include "berth/unique_fd.hpp"
#include "digest/sha256.hpp"
#include "hash_pool.hpp"
#include "paths.hpp"
#include "ref_lock.hpp"
#include "staging_pool.hpp"

namespace berth::content {

// The ingest's state as recorded in `dir`. NotFound when there is no ingest,
// or when its creation never finished (a writer killed while setting it up).
Result<IngestStatus> read_ingest_status(const std::filesystem::path& dir);

class IngestWriter final : public ContentWriter {
 public:
  // Starts the ingest held by `lock`, or resumes it. FailedPrecondition when
  // `total` or `expected` contradict what the ingest was started with.
  // Large writes borrow a thread from `hashers` to hash while they write,
  // and a buffer from `staging` (may be null) to write with O_DIRECT.
  static Result<std::unique_ptr<ContentWriter>> open(Layout layout, RefLock lock,
                                                     std::shared_ptr<HashPool> hashers,
                                                     std::shared_ptr<StagingPool> staging, int64_t total,
                                                     std::string expected);

  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;
  ~IngestWriter() override;

  Result<IngestStatus> status() override;
  Status write(std::string_view data) override;
  Status write_pieces(std::span<const std::string_view> pieces) override;
  Status truncate(int64_t size) override;
  Result<std::string> commit(int64_t size, std::string_view expected) override;
  std::string digest() override;

 private:
  IngestWriter(Layout layout, RefLock lock, std::shared_ptr<HashPool> hashers,
               std::shared_ptr<StagingPool> staging, digest::Sha256 hash, digest::Sha256 snapshot);

  Status start(int64_t total, std::string expected);
  Status resume(const IngestStatus& recorded, int64_t total, std::string expected);
  Status usable() const;
  Status rehash(int64_t size);
  void start_writeback();
  // write() and write_pieces(): appends `pieces`, hashing them as they go.
  Status append(std::span<const std::string_view> pieces, bool may_bypass_cache);
  // Writes `size` bytes of `pieces` at offset_: through the page cache, or
  // (when `may_bypass_cache`) with O_DIRECT through a staging buffer when one
  // is free and the file allows it. `written` as files::pwritev_all.
  Status store(std::span<const std::string_view> pieces, std::size_t size, bool may_bypass_cache,
               std::size_t* written);
  Status store_direct(std::span<const std::string_view> pieces, std::size_t size, char* stage,
                      std::size_t* written);
  // Drops the ingest directory, the data file and the lock: the writer is done.
  void finish();

  Layout layout_;
  RefLock lock_;
  std::filesystem::path dir_;
  std::filesystem::path data_path_;
  UniqueFd data_;
  digest::Sha256 hash_;      // of data_[0, offset_)
  digest::Sha256 snapshot_;  // hash_ before a write hashed in parallel, to undo a failed one
  std::shared_ptr<HashPool> hashers_;
  std::shared_ptr<StagingPool> staging_;
  UniqueFd direct_;              // data_ opened again with O_DIRECT, on first use
  bool direct_refused_ = false;  // the file system (tmpfs, say) will not do O_DIRECT
  int64_t offset_ = 0;
  int64_t writeback_from_ = 0;  // data before this offset has been handed to writeback
  int64_t total_ = 0;
  std::string expected_;
  TimestampNs started_at_ = 0;
  TimestampNs updated_at_ = 0;
  bool closed_ = false;
  Status broken_;  // set when the digest no longer matches the data
};

}  // namespace berth::content
