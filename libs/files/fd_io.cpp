#include "files/fd_io.hpp"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>

namespace berth::files {
namespace {

// Reads into buf[0, len) with `read_some(at, want, done)` until it is full or
// the input ends, riding out EINTR and short reads.
template <class ReadSome>
Result<std::size_t> fill(char* buf, std::size_t len, const std::filesystem::path& path, ReadSome read_some) {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = read_some(buf + done, len - done, done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("read " + path.string(), errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace

Result<UniqueFd> open_at(int dirfd, const std::filesystem::path& name, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::openat(dirfd, name.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_status("open " + name.string(), errno);
  return UniqueFd(fd);
}

Result<struct stat> stat_fd(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_status("stat " + path.string(), errno);
  return st;
}

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("write " + path.string(), errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Status pwrite_all(int fd, std::string_view data, int64_t offset, const std::filesystem::path& path,
                  std::size_t* written) {
  std::size_t done = 0;
  Status st;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                               static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      st = errno_status("write " + path.string(), errno);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (written != nullptr) *written = done;
  return st;
}

Status pwritev_all(int fd, std::span<const std::string_view> pieces, int64_t offset,
                   const std::filesystem::path& path, std::size_t* written) {
  constexpr std::size_t kMaxIov = IOV_MAX;
  std::array<iovec, kMaxIov> iov{};
  std::size_t done = 0;   // bytes written, in all
  std::size_t piece = 0;  // the first piece not yet written in full
  std::size_t into = 0;   // bytes of that piece already written
  Status st;
  while (piece < pieces.size()) {
    std::size_t count = 0;
    for (std::size_t i = piece; i < pieces.size() && count < kMaxIov; ++i) {
      const std::size_t skip = i == piece ? into : 0;
      if (pieces[i].size() == skip) continue;
      iov[count].iov_base = const_cast<char*>(pieces[i].data() + skip);
      iov[count].iov_len = pieces[i].size() - skip;
      ++count;
    }
    if (count == 0) break;  // only empty pieces left
    const ssize_t n = ::pwritev(fd, iov.data(), static_cast<int>(count),
                                static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      st = errno_status("write " + path.string(), errno);
      break;
    }
    if (n == 0) {  // no progress on a non-empty write: never loop on it
      st = errno_status("write " + path.string(), EIO);
      break;
    }
    done += static_cast<std::size_t>(n);
    // Step over what this call wrote, piece by piece.
    for (auto left = static_cast<std::size_t>(n); piece < pieces.size();) {
      const std::size_t rest = pieces[piece].size() - into;
      if (left < rest) {
        into += left;
        break;
      }
      left -= rest;
      ++piece;
      into = 0;
    }
  }
  if (written != nullptr) *written = done;
  return st;
}

Result<std::size_t> read_full(int fd, char* buf, std::size_t len, const std::filesystem::path& path) {
  return fill(buf, len, path, [fd](char* at, std::size_t want, std::size_t) { return ::read(fd, at, want); });
}

Result<std::size_t> pread_full(int fd, char* buf, std::size_t len, int64_t offset,
                               const std::filesystem::path& path) {
  return fill(buf, len, path, [fd, offset](char* at, std::size_t want, std::size_t done) {
    return ::pread(fd, at, want, static_cast<off_t>(offset + static_cast<int64_t>(done)));
  });
}

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max) {
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("read " + path.string(), errno);
    }
    if (n == 0) return out;
    if (out.size() + static_cast<std::size_t>(n) > max) {
      return out_of_range("read " + path.string() + ": larger than " + std::to_string(max) + " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace berth::files
