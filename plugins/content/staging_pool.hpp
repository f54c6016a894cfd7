// Aligned buffers through which ingests write with O_DIRECT, shared by all
// the writers of one content store.
//
// A buffered write copies every byte into the page cache, and on this kind of
// machine (a VM whose host takes back free guest memory) the first touch of
// each new page-cache page costs more than the copy itself: perf showed two
// thirds of berthd's CPU during a 1 GiB ingest in that copy, about 2 s per
// GiB. An O_DIRECT write leaves the page cache out: the data is copied once
// into a buffer that stays warm and goes from there to the disk, and commit's
// fsync finds nothing left to write back. O_DIRECT needs aligned memory, so
// data passes through these buffers. The pool keeps kStagingBuffers and lends
// them until the bytes copied into them are written (which, behind a writer,
// is after the writer has gone on: see write_behind.hpp); a writer that finds
// none free and has none of its own in flight writes through the page cache as
// before, so a burst of writers never costs more memory than that.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "lending_pool.hpp"

namespace berth::content {

// One buffer of kBytes, aligned to kAlign (a multiple of every logical block
// size Linux's O_DIRECT asks for).
class StagingBuffer {
 public:
  static constexpr std::size_t kAlign = 4096;
  static constexpr std::size_t kBytes = 1 << 20;
  // nullptr when memory is short.
  static std::unique_ptr<StagingBuffer> allocate();
  StagingBuffer(const StagingBuffer&) = delete;
  StagingBuffer& operator=(const StagingBuffer&) = delete;
  ~StagingBuffer();
  [[nodiscard]] char* data() const { return data_; }

 private:
  explicit StagingBuffer(char* data) : data_(data) {}
  char* data_;
};

using StagingPool = LendingPool<StagingBuffer>;

// The store's buffers, 64 MiB at most. Writes behind a writer stop while
// the disk flushes its cache (write_behind.hpp flushes every kFlushEvery
// bytes so that commit's flush finds little left), for up to 70 ms on this
// VM's disk; the buffers carry the stream through that, about 60 ms of it
// at 1 GB/s. With 8 MiB the receiver stopped at each flush and the flushes
// cost more than they saved. The price: a `kill -9` may lose up to this
// much that was answered but not yet written (the client resumes from
// Status), and the memory while a large ingest runs.
constexpr std::size_t kStagingBuffers = 64;
// What the pool keeps once no writer holds a buffer (the rest is freed, and
// the allocator gives it back to the system when the heap turns quiet).
constexpr std::size_t kStagingKept = 8;

// Bytes copied into borrowed buffers, each full but the last, to be hashed
// and written behind the writer; shared by the threads that do so, so the
// buffers go back to the pool when the last of them is done.
struct StagedChunk {
  std::vector<StagingPool::Lease> buffers;
  std::size_t size = 0;
  // The bytes, one piece per buffer.
  [[nodiscard]] std::vector<std::string_view> pieces() const;
};

// At most `max_buffers`, allocated on first use and kept.
std::shared_ptr<StagingPool> make_staging_pool(std::size_t max_buffers);

}  // namespace berth::content
