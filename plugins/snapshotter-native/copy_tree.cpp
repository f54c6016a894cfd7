#include "copy_tree.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "berth/unique_fd.hpp"
#include "files/dir_stream.hpp"
#include "files/fd_io.hpp"

namespace berth::snapshot {
namespace {

// "/proc/self/fd/<dirfd>/<name>": a path to an entry that needs no full
// path string (deep trees stay under PATH_MAX) and works with the l*xattr
// calls, which have no *at form.
std::string fd_path(int dirfd, const std::string& name) {
  return "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
}

// The xattrs of an entry, without following a symlink.
Result<std::vector<std::pair<std::string, std::string>>> read_xattrs(const std::string& path,
                                                                     const std::filesystem::path& shown) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string names;
  for (;;) {
    const ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
    if (n < 0) {
      if (errno == ENOTSUP) return out;
      return errno_status("list xattrs of " + shown.string(), errno);
    }
    names.resize(static_cast<std::size_t>(n));
    const ssize_t got = ::llistxattr(path.c_str(), names.data(), names.size());
    if (got < 0 && errno == ERANGE) continue;  // grew in between
    if (got < 0) return errno_status("list xattrs of " + shown.string(), errno);
    names.resize(static_cast<std::size_t>(got));
    break;
  }
  for (std::size_t pos = 0; pos < names.size();) {
    const std::string name = names.c_str() + pos;
    pos += name.size() + 1;
    if (name.empty()) continue;
    std::string value;
    for (;;) {
      const ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
      if (n < 0) return errno_status("read xattr " + name + " of " + shown.string(), errno);
      value.resize(static_cast<std::size_t>(n));
      const ssize_t got = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      if (got < 0 && errno == ERANGE) continue;
      if (got < 0) return errno_status("read xattr " + name + " of " + shown.string(), errno);
      value.resize(static_cast<std::size_t>(got));
      break;
    }
    out.emplace_back(name, std::move(value));
  }
  return out;
}

Status copy_data(int from, int to, const std::filesystem::path& src, const std::filesystem::path& dst) {
  bool in_kernel = true;
  for (;;) {
    ssize_t n;
    if (in_kernel) {
      n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
      if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        in_kernel = false;  // not between these file systems: copy through a buffer
        continue;
      }
    } else {
      char buf[1 << 16];
      n = ::read(from, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status("read " + src.string(), errno);
      if (n > 0)
        BERTH_RETURN_IF_ERROR(files::write_all(to, std::string_view(buf, static_cast<std::size_t>(n)), dst));
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("copy " + src.string() + " to " + dst.string(), errno);
    if (n == 0) return {};
  }
}

class Copier {
 public:
  // Copies the entries of the open directory `sfd` into `dfd`.
  Status copy_dir(int sfd, int dfd, const std::filesystem::path& spath, const std::filesystem::path& dpath) {
    auto dup = ::fcntl(sfd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return errno_status("dup fd of " + spath.string(), errno);
    auto stream = files::DirStream::open(UniqueFd(dup), spath);
    if (!stream.ok()) return stream.status();
    for (;;) {
      auto e = stream->next();
      if (!e.ok()) return e.status();
      if (*e == nullptr) return {};
      const std::string name = (*e)->d_name;
      BERTH_RETURN_IF_ERROR(copy_entry(sfd, dfd, name, spath / name, dpath / name));
    }
  }

  // Owner, mode, xattrs, then times of `name` in `dfd`, taken from `st` and
  // the source entry `sname` in `sfd`. In this order: chown clears setuid
  // bits and security.capability, and any change moves the ctime/mtime.
  Status copy_metadata(int sfd, const std::string& sname, int dfd, const std::string& dname,
                       const struct stat& st, const std::filesystem::path& spath,
                       const std::filesystem::path& dpath) {
    if (::fchownat(dfd, dname.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_status("chown " + dpath.string(), errno);
    }
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dfd, dname.c_str(), st.st_mode & 07777, 0) != 0) {
      return errno_status("chmod " + dpath.string(), errno);
    }
    auto xattrs = read_xattrs(fd_path(sfd, sname), spath);
    if (!xattrs.ok()) return xattrs.status();
    const std::string target = fd_path(dfd, dname);
    for (const auto& [key, value] : *xattrs) {
      if (::lsetxattr(target.c_str(), key.c_str(), value.data(), value.size(), 0) != 0) {
        return errno_status("set xattr " + key + " on " + dpath.string(), errno);
      }
    }
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dfd, dname.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_status("set times of " + dpath.string(), errno);
    }
    return {};
  }

 private:
  Status copy_entry(int sfd, int dfd, const std::string& name, const std::filesystem::path& spath,
                    const std::filesystem::path& dpath) {
    struct stat st {};
    if (::fstatat(sfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_status("stat " + spath.string(), errno);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, dpath);
      if (!first) {
        if (::linkat(AT_FDCWD, it->second.c_str(), dfd, name.c_str(), 0) != 0) {
          return errno_status("link " + dpath.string() + " to " + it->second.string(), errno);
        }
        return {};
      }
    }
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR: {
        if (::mkdirat(dfd, name.c_str(), 0700) != 0) return errno_status("mkdir " + dpath.string(), errno);
        auto from = files::open_at(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!from.ok()) return from.status();
        auto to = files::open_at(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!to.ok()) return to.status();
        BERTH_RETURN_IF_ERROR(copy_dir(from->get(), to->get(), spath, dpath));
        break;
      }
      case S_IFREG: {
        auto from = files::open_at(sfd, name, O_RDONLY | O_NOFOLLOW);
        if (!from.ok()) return from.status();
        auto to = files::open_at(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
        if (!to.ok()) return to.status();
        BERTH_RETURN_IF_ERROR(copy_data(from->get(), to->get(), spath, dpath));
        break;
      }
      case S_IFLNK: {
        std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
        const ssize_t n = ::readlinkat(sfd, name.c_str(), target.data(), target.size());
        if (n < 0) return errno_status("read link " + spath.string(), errno);
        target.resize(static_cast<std::size_t>(n));
        if (::symlinkat(target.c_str(), dfd, name.c_str()) != 0) {
          return errno_status("symlink " + dpath.string(), errno);
        }
        break;
      }
      case S_IFCHR:
      case S_IFBLK:
      case S_IFIFO:
      case S_IFSOCK:
        if (::mknodat(dfd, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
          return errno_status("mknod " + dpath.string(), errno);
        }
        break;
      default:
        return invalid_argument("copy " + spath.string() + ": unknown file type");
    }
    return copy_metadata(sfd, name, dfd, name, st, spath, dpath);
  }

  std::map<std::pair<dev_t, ino_t>, std::filesystem::path> links_;  // first copy of each linked inode
};

}  // namespace

Status copy_tree(const std::filesystem::path& src, const std::filesystem::path& dst) {
  auto from = files::open_at(AT_FDCWD, src, O_RDONLY | O_DIRECTORY);
  if (!from.ok()) return from.status().with_context("copy tree");
  auto to = files::open_at(AT_FDCWD, dst, O_RDONLY | O_DIRECTORY);
  if (!to.ok()) return to.status().with_context("copy tree");
  Copier copier;
  BERTH_RETURN_IF_ERROR(copier.copy_dir(from->get(), to->get(), src, dst));
  struct stat st {};
  if (::fstat(from->get(), &st) != 0) return errno_status("stat " + src.string(), errno);
  // The roots themselves: "." of their own fds.
  return copier.copy_metadata(from->get(), ".", to->get(), ".", st, src, dst);
}

}  // namespace berth::snapshot
