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
// data passes through one of these buffers. The pool keeps a few (one per
// CPU plus one: more writers could not copy at once anyway) and lends one for
// the length of a write; a writer that finds none free writes through the page
// cache as before, so a burst of writers never costs more memory than that.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace berth::content {

class StagingPool : public std::enable_shared_from_this<StagingPool> {
 public:
  // Buffers of kBufferBytes, aligned to kAlign (a multiple of every logical
  // block size Linux's O_DIRECT asks for).
  static constexpr std::size_t kAlign = 4096;
  static constexpr std::size_t kBufferBytes = 1 << 20;

  // At most `max_buffers`, allocated on first use and kept.
  static std::shared_ptr<StagingPool> create(std::size_t max_buffers);

  struct FreeBuffer {
    void operator()(char* p) const;
  };
  using Buffer = std::unique_ptr<char, FreeBuffer>;

  // A borrowed buffer, given back when the lease ends. It keeps the pool
  // alive, so a writer may outlive its store.
  class Lease {
   public:
    Lease(std::shared_ptr<StagingPool> pool, Buffer buffer)
        : pool_(std::move(pool)), buffer_(std::move(buffer)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) noexcept = default;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    [[nodiscard]] char* data() const { return buffer_.get(); }

   private:
    std::shared_ptr<StagingPool> pool_;
    Buffer buffer_;
  };

  // A free buffer, or none when all are lent (or memory is short).
  std::optional<Lease> try_acquire();

 private:
  explicit StagingPool(std::size_t max_buffers) : max_buffers_(max_buffers) {}
  void give_back(Buffer buffer);

  const std::size_t max_buffers_;
  std::mutex mu_;
  std::vector<Buffer> idle_;
  std::size_t allocated_ = 0;
};

}  // namespace berth::content
