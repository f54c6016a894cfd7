#include "ingest_source.hpp"

#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "files/fd_io.hpp"

namespace berth::cli {

Result<std::unique_ptr<IngestSource>> IngestSource::open(int fd) {
  std::unique_ptr<IngestSource> source(new IngestSource(fd));
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_status("stat stdin", errno);
  const off_t start = S_ISREG(st.st_mode) ? ::lseek(fd, 0, SEEK_CUR) : -1;
  if (start < 0 || st.st_size <= start) return source;  // read() it: a pipe, or nothing to map
  // Mapped whole (offsets must be page-aligned), read from `start`.
  const auto size = static_cast<std::size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return source;  // e.g. a file system without mmap: read() it
  (void)::madvise(map, size, MADV_SEQUENTIAL);
  source->map_ = map;
  source->map_size_ = size;
  source->at_ = static_cast<std::size_t>(start);
  return source;
}

IngestSource::~IngestSource() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

Status IngestSource::skip(int64_t n) {
  const auto want = static_cast<std::size_t>(n);
  auto too_short = [n] {
    return failed_precondition(fmt::format("the ingest holds {} bytes already, more than stdin has", n));
  };
  if (map_ != nullptr) {
    if (map_size_ - at_ < want) return too_short();
    at_ += want;
    return {};
  }
  std::vector<char> buf(std::min<std::size_t>(want, 1 << 20));
  for (std::size_t skipped = 0; skipped < want;) {
    auto got = files::read_full(fd_, buf.data(), std::min(buf.size(), want - skipped), "stdin");
    if (!got.ok()) return got.status();
    if (*got == 0) return too_short();
    skipped += *got;
  }
  return {};
}

Result<grpc::Slice> IngestSource::next(std::size_t max) {
  if (map_ != nullptr) {
    const std::size_t n = std::min(max, map_size_ - at_);
    // Map the chunk's pages in one call: left to fault in as the kernel
    // copies them into the socket, they cost one exception every 64 KiB
    // (16,000 for 1 GiB), which a VM makes dear. Only a hint (kernels before
    // 5.14 refuse it).
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t from = at_ - at_ % page;
    (void)::madvise(static_cast<char*>(map_) + from, at_ + n - from, MADV_POPULATE_READ);
    grpc::Slice chunk(static_cast<const char*>(map_) + at_, n, grpc::Slice::STATIC_SLICE);
    at_ += n;
    return chunk;
  }
  grpc::Slice chunk(max);
  auto got =
      files::read_full(fd_, reinterpret_cast<char*>(const_cast<uint8_t*>(chunk.begin())), max, "stdin");
  if (!got.ok()) return got.status();
  return chunk.sub(0, *got);
}

}  // namespace berth::cli
