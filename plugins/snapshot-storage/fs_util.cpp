#include "fs_util.hpp"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <system_error>
#include <utility>

namespace berth::snapshot {

TimestampNs now_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<TimestampNs>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Result<UniqueFd> open_at(int dirfd, const std::filesystem::path& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_status("open " + path.string(), errno);
  return UniqueFd(fd);
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    auto fd = open_at(AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!fd.ok()) return fd.status();
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd->get(), content.data() + done, content.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_status("write " + tmp.string(), errno);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd->get()) != 0) return errno_status("fsync " + tmp.string(), errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return errno_status("rename " + tmp.string() + " to " + path.string(), errno);
  }
  return fsync_dir(path.parent_path());
}

Result<std::string> read_file(const std::filesystem::path& path) {
  auto fd = open_at(AT_FDCWD, path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("read " + path.string(), errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Status fsync_dir(const std::filesystem::path& dir) {
  auto fd = open_at(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  if (::fsync(fd->get()) != 0) return errno_status("fsync " + dir.string(), errno);
  return {};
}

Status make_dir(const std::filesystem::path& dir, mode_t mode, bool exist_ok) {
  if (::mkdir(dir.c_str(), mode) == 0) return {};
  const int err = errno;
  if (err == EEXIST && exist_ok && std::filesystem::is_directory(dir)) return {};
  return errno_status("mkdir " + dir.string(), err);
}

Status remove_tree(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return errno_status("remove " + path.string(), ec.value());
  return {};
}

Result<DirStream> DirStream::open(UniqueFd fd, const std::filesystem::path& path) {
  DIR* dir = ::fdopendir(fd.get());
  if (dir == nullptr) return errno_status("read directory " + path.string(), errno);
  (void)fd.release();  // the DIR owns it now
  return DirStream(dir, path);
}

DirStream::DirStream(DirStream&& other) noexcept
    : dir_(std::exchange(other.dir_, nullptr)), path_(std::move(other.path_)) {}

DirStream::~DirStream() {
  if (dir_ != nullptr) ::closedir(dir_);
}

Result<const struct dirent*> DirStream::next() {
  for (;;) {
    errno = 0;
    const struct dirent* e = ::readdir(dir_);
    if (e == nullptr) {
      if (errno != 0) return errno_status("read directory " + path_.string(), errno);
      return static_cast<const struct dirent*>(nullptr);
    }
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    return e;
  }
}

}  // namespace berth::snapshot
