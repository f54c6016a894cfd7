// One resumable ingest: the writer side of the store.
//
// Everything a writer knows is on disk in ingest/<hash>/ (see paths.hpp), and
// the offset is simply the size of `data`, so a writer closed, destroyed or
// killed with -9 resumes exactly where the kernel last accepted bytes.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/unique_fd.hpp"
#include "digest/sha256.hpp"
#include "hash_pool.hpp"
#include "paths.hpp"
#include "ref_lock.hpp"
#include "staging_pool.hpp"
#include "write_behind.hpp"

namespace berth::content {

// The ingest's state as recorded in `dir`. NotFound when there is no ingest,
// or when its creation never finished (a writer killed while setting it up).
Result<IngestStatus> read_ingest_status(const std::filesystem::path& dir);

class IngestWriter final : public ContentWriter {
 public:
  // Starts the ingest held by `lock`, or resumes it. FailedPrecondition when
  // `total` or `expected` contradict what the ingest was started with.
  // Large writes borrow a thread from `hashers` to hash while they write,
  // buffers from `staging` (may be null) to write with O_DIRECT, and a
  // thread from `behind` (may be null) to do those writes while the caller
  // goes on (see write_behind.hpp).
  static Result<std::unique_ptr<ContentWriter>> open(Layout layout, RefLock lock,
                                                     std::shared_ptr<HashPool> hashers,
                                                     std::shared_ptr<StagingPool> staging,
                                                     std::shared_ptr<WriteBehindPool> behind, int64_t total,
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
               std::shared_ptr<StagingPool> staging, std::shared_ptr<WriteBehindPool> behind,
               digest::Sha256 hash, digest::Sha256 snapshot);

  Status start(int64_t total, std::string expected);
  Status resume(const IngestStatus& recorded, int64_t total, std::string expected);
  Status usable() const;
  Status rehash(int64_t size);
  void start_writeback();
  // write() and write_pieces(): appends `pieces`, hashing them as they go.
  Status append(std::span<const std::string_view> pieces, bool may_bypass_cache);
  // Appends `size` bytes of `pieces` on this thread, hashing on a borrowed
  // one meanwhile, and returns once both are done.
  Status append_inline(std::span<const std::string_view> pieces, std::size_t size, bool may_bypass_cache);
  // Appends `size` bytes of `pieces` by copying them into staging buffers
  // that a hashing thread and a write-behind thread take from there, so the
  // caller can answer and receive more while they work (see
  // write_behind.hpp). What cannot be staged goes through append_inline.
  Status append_behind(std::span<const std::string_view> pieces, std::size_t size);
  // Borrows the hashing and write-behind threads append_behind needs (the
  // O_DIRECT fd too), or keeps them; false when they cannot be had.
  bool hold_workers();
  // The `size` bytes of `pieces` from byte `from` on, or the first part of
  // them that fits the buffers to be had (waiting for this writer's queued
  // work to give some back), copied into a chunk; null when none can be had.
  std::shared_ptr<StagedChunk> stage(std::span<const std::string_view> pieces, std::size_t from,
                                     std::size_t size);
  // Waits for the work queued behind this writer and gives its threads
  // back. A failure among it means the file or the digest no longer matches
  // offset_: the writer is then broken, and this returns why.
  Status settle();
  // Writes `size` bytes of `pieces` at offset_: through the page cache, or
  // (when `may_bypass_cache`) with O_DIRECT through a staging buffer when one
  // is free and the file allows it. `written` as files::pwritev_all.
  Status store(std::span<const std::string_view> pieces, std::size_t size, bool may_bypass_cache,
               std::size_t* written);
  // store's O_DIRECT path, through `stage` (one buffer), on this thread.
  Status store_direct(std::span<const std::string_view> pieces, std::size_t size,
                      const std::shared_ptr<StagedChunk>& stage, std::size_t* written);
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
  std::shared_ptr<WriteBehindPool> behind_pool_;
  UniqueFd direct_;  // data_ opened again with O_DIRECT, on first use
  // The threads that hash and write behind this writer, held while work is
  // queued on them. Declared after the fds and the hash they use, so that
  // even on a path that forgot settle() they are given back first.
  std::optional<HashPool::Lease> hasher_;
  std::optional<WriteBehindPool::Lease> behind_;
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
