#include "file_util.hpp"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <system_error>

namespace berth::content {

TimestampNs now_ns() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return to_ns(ts);
}

TimestampNs to_ns(const struct timespec& ts) {
  return static_cast<TimestampNs>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  out += text;
  out += '"';
  return out;
}

Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_status("open " + path.string(), errno);
  return UniqueFd(fd);
}

Status fstat_file(int fd, const std::filesystem::path& path, struct stat& st) {
  if (::fstat(fd, &st) != 0) return errno_status("stat " + path.string(), errno);
  return {};
}

Status pwrite_all(int fd, std::string_view data, int64_t offset, const std::filesystem::path& path,
                  std::size_t& written) {
  written = 0;
  while (written < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + written, data.size() - written,
                               static_cast<off_t>(offset + static_cast<int64_t>(written)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("write " + path.string(), errno);
    }
    written += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::size_t> pread_full(int fd, char* buf, std::size_t len, int64_t offset,
                               const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n =
        ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("read " + path.string(), errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = pread_full(fd->get(), buf, sizeof buf, static_cast<int64_t>(out.size()), path);
    if (!n.ok()) return n.status();
    out.append(buf, *n);
    if (*n < sizeof buf) return out;
  }
}

Status write_small_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    auto fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd.ok()) return fd.status();
    std::size_t written = 0;
    BERTH_RETURN_IF_ERROR(pwrite_all(fd->get(), content, 0, tmp, written));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_status("rename " + tmp.string() + " to " + path.string(), err);
  }
  return {};
}

Status fsync_dir(const std::filesystem::path& dir) {
  auto fd = open_file(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  if (::fsync(fd->get()) != 0) return errno_status("fsync " + dir.string(), errno);
  return {};
}

Status make_dirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return errno_status("create directory " + dir.string(), ec.value());
  return {};
}

Status remove_tree(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return errno_status("remove " + dir.string(), ec.value());
  return {};
}

}  // namespace berth::content
