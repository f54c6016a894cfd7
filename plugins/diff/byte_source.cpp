#include "byte_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace berth::diff {

Result<std::size_t> ContentReaderSource::read(char* buf, std::size_t len) {
  if (offset_ >= reader_.size()) return std::size_t{0};
  auto n = reader_.read_at(offset_, buf, len);
  if (!n.ok()) return n.status().with_context("read layer blob at offset " + std::to_string(offset_));
  offset_ += static_cast<int64_t>(*n);
  return *n;
}

Result<FdSource> FdSource::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status("open " + path, errno);
  return FdSource(UniqueFd(fd));
}

Result<std::size_t> FdSource::read(char* buf, std::size_t len) {
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, len);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return errno_status("read layer file", errno);
  }
}

Result<std::size_t> MemorySource::read(char* buf, std::size_t len) {
  const std::size_t n = std::min(len, data_.size());
  std::memcpy(buf, data_.data(), n);
  data_.remove_prefix(n);
  return n;
}

}  // namespace berth::diff
