#include "files/fd_io.hpp"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

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
