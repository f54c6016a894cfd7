// A thread that performs one writer's O_DIRECT writes behind it.
//
// An O_DIRECT write returns only once the device has the bytes, and ext4
// serialises writes that extend a file, so an ingest that wrote inline spent
// each message's disk time with nothing else going on: the next message
// waited, and the hashing thread idled (a 1 GiB ingest took about 1.25 s of
// 1 MiB writes on this VM's disk, beside 0.75 s of hashing). Here the writer
// copies a message into staging buffers and queues them; this thread writes
// them while the writer answers and receives the next message, and it joins
// whatever is queued into one pwritev (the disk writes 4 MiB at a time about
// a fifth faster than 1 MiB).
//
// Every kFlushEvery bytes written to one file the thread also fdatasync()s
// it: this VM's disk keeps O_DIRECT writes in a volatile cache, and commit's
// fsync then flushed a whole GiB at once (0.45 s) after the last byte came,
// with nothing left to overlap it. Flushed as they go, the flushes overlap
// the stream (the staging buffers carry it while writes wait for a flush)
// and commit's flush finds at most kFlushEvery.
//
// A queued write is accepted, as a write into the page cache is: its failure
// surfaces at the writer's next step (drain()). After a failure the thread
// writes nothing more of that writer's queue, so the file always holds a
// prefix of what was sent, and a resumed ingest re-hashes exactly that.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "berth/status.hpp"
#include "lending_pool.hpp"
#include "staging_pool.hpp"

namespace berth::content {

// See above: about an eighth of a second of this disk's flushing.
constexpr std::size_t kFlushEvery = std::size_t{128} << 20;

class WriteBehind {
 public:
  // `chunk` at `at`. `at` and the chunk's size are multiples of
  // StagingBuffer::kAlign, as O_DIRECT wants.
  struct Write {
    int direct_fd = -1;  // the data file opened with O_DIRECT
    int cached_fd = -1;  // the same file without it, for when O_DIRECT is refused
    int64_t at = 0;
    std::shared_ptr<const StagedChunk> chunk;
    std::filesystem::path path;  // the data file, for errors
  };

  // What the writes since the last drain came to.
  struct Outcome {
    Status status;                // the first failure, if any
    bool direct_refused = false;  // the file system refused O_DIRECT (EINVAL)
    std::size_t written = 0;      // bytes that reached the file (write_now only)
  };

  // nullptr when no thread can be started; the caller then writes inline.
  static std::unique_ptr<WriteBehind> start();

  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;
  ~WriteBehind();  // writes what is queued, then joins the thread

  // Queues `w`; it lets go of its chunk once it is written.
  void submit(Write w);
  // Writes queued or in progress.
  std::size_t pending();
  // Whether a write since the last drain failed (drain() says how).
  bool failed();
  // Blocks until every write is done, and returns (and forgets) how they went.
  Outcome drain();

  // Writes `batch` (contiguous writes of one file) on the caller's thread,
  // in one pwritev where it can; through the page cache once O_DIRECT was
  // `refused`, or when it is refused now.
  static Outcome write_now(std::span<const Write> batch, bool refused);

 private:
  WriteBehind() = default;
  void run();
  // After `result` of a batch to `fd`: flushes the file once kFlushEvery
  // bytes have reached it since the last flush. On the thread only.
  Status flush_as_due(int fd, const std::filesystem::path& path, const Outcome& result);

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Write> queue_;
  std::size_t in_progress_ = 0;
  Outcome outcome_;
  bool stop_ = false;
  // The thread's own: the file written last and its bytes since a flush.
  int unflushed_fd_ = -1;
  std::size_t unflushed_ = 0;
  std::thread thread_;
};

using WriteBehindPool = LendingPool<WriteBehind>;

// At most `max_threads` workers, started on first use and kept.
std::shared_ptr<WriteBehindPool> make_write_behind_pool(std::size_t max_threads);

}  // namespace berth::content
