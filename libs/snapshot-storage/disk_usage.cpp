#include "snapshot-storage/disk_usage.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <set>
#include <utility>

#include "files/dir_stream.hpp"
#include "files/fd_io.hpp"

namespace berth::snapshot {
namespace {

struct Walk {
  dev_t dev = 0;
  std::set<std::pair<dev_t, ino_t>> linked;  // inodes with nlink > 1 already counted
  SnapshotUsage usage;

  void count(const struct stat& st) {
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked.emplace(st.st_dev, st.st_ino).second) return;
    usage.size += static_cast<int64_t>(st.st_blocks) * 512;
    usage.inodes += 1;
  }

  Status dir(UniqueFd fd, const std::filesystem::path& path) {
    auto stream = files::DirStream::open(std::move(fd), path);
    if (!stream.ok()) return stream.status();
    for (;;) {
      auto entry = stream->next();
      if (!entry.ok()) return entry.status();
      if (*entry == nullptr) return {};
      const std::string name = (*entry)->d_name;
      struct stat st {};
      if (::fstatat(stream->fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return errno_status("stat " + (path / name).string(), errno);
      }
      count(st);
      if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
        auto child = files::open_at(stream->fd(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!child.ok()) return child.status().with_context("usage of " + (path / name).string());
        BERTH_RETURN_IF_ERROR(dir(std::move(child).value(), path / name));
      }
    }
  }
};

}  // namespace

Result<SnapshotUsage> disk_usage(const std::filesystem::path& root) {
  auto fd = files::open_at(AT_FDCWD, root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!fd.ok()) return fd.status().with_context("usage");
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return errno_status("stat " + root.string(), errno);
  Walk walk;
  walk.dev = st.st_dev;
  walk.count(st);
  BERTH_RETURN_IF_ERROR(walk.dir(std::move(fd).value(), root));
  return walk.usage;
}

}  // namespace berth::snapshot
