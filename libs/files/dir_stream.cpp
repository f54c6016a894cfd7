#include "files/dir_stream.hpp"

#include <errno.h>
#include <fcntl.h>

#include <string_view>
#include <utility>

#include "files/fd_io.hpp"

namespace berth::files {

Result<DirStream> DirStream::open(UniqueFd fd, const std::filesystem::path& path) {
  DIR* dir = ::fdopendir(fd.get());
  if (dir == nullptr) return errno_status("read directory " + path.string(), errno);
  (void)fd.release();  // the DIR owns it now
  return DirStream(dir, path);
}

Result<DirStream> DirStream::open(const std::filesystem::path& path) {
  auto fd = open_file(path, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  return open(std::move(*fd), path);
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

}  // namespace berth::files
