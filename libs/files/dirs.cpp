#include "files/dirs.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include "files/fd_io.hpp"

namespace berth::files {

Status fsync_dir(const std::filesystem::path& dir) {
  auto fd = open_file(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  if (::fsync(fd->get()) != 0) return errno_status("fsync " + dir.string(), errno);
  return {};
}

Status make_dir(const std::filesystem::path& dir, mode_t mode, bool exist_ok) {
  if (::mkdir(dir.c_str(), mode) == 0) return {};
  const int err = errno;
  std::error_code ec;
  if (err == EEXIST && exist_ok && std::filesystem::is_directory(dir, ec)) return {};
  return errno_status("mkdir " + dir.string(), err);
}

Status make_dirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return errno_status("create directory " + dir.string(), ec.value());
  return {};
}

Status remove_tree(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return errno_status("remove " + path.string(), ec.value());
  return {};
}

}  // namespace berth::files
