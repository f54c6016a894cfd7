#include "files/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "files/dirs.hpp"
#include "files/fd_io.hpp"

namespace berth::files {

Status replace_file(const std::filesystem::path& path, std::string_view content, Durability durability,
                    mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  Status st = [&]() -> Status {
    auto fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (!fd.ok()) return fd.status();
    BERTH_RETURN_IF_ERROR(write_all(fd->get(), content, tmp));
    if (durability == Durability::kDurable && ::fsync(fd->get()) != 0)
      return errno_status("fsync " + tmp.string(), errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      return errno_status("rename " + tmp.string() + " to " + path.string(), errno);
    return {};
  }();
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (durability == Durability::kDurable) return fsync_dir(path.parent_path());
  return {};
}

}  // namespace berth::files
