#include "apply.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "apply_bounds.hpp"
#include "berth/log.hpp"
#include "digest_stream.hpp"
#include "files/fd_io.hpp"
#include "prefetch_stream.hpp"
#include "safe_path.hpp"
#include "tar_reader.hpp"
#include "undo_log.hpp"
#include "whiteout.hpp"

namespace berth::diff {
namespace {

constexpr const char* kOverlayOpaqueXattr = "trusted.overlay.opaque";
// Overlay's own xattrs (opaque, redirect, origin, metacopy) decide what the
// overlay shows from lower layers; only the differ sets them, from
// whiteouts, never a layer directly.
constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";

std::string show(std::string_view clean) { return "/" + std::string(clean); }

// A name from a layer, shortened for a message: a hostile one may be huge.
std::string quoted_prefix(std::string_view name) {
  constexpr std::size_t kShown = 64;
  if (name.size() <= kShown) return "\"" + std::string(name) + "\"";
  return "\"" + std::string(name.substr(0, kShown)) + "...\" (" + std::to_string(name.size()) + " bytes)";
}

// InvalidArgument for a clean path no Linux file system can hold: a
// component over NAME_MAX or the whole over PATH_MAX. Checked up front so
// the layer, not the daemon, gets the blame (ENAMETOOLONG from a syscall
// would be INTERNAL).
Status check_name_lengths(std::string_view clean, std::string_view what) {
  if (clean.size() >= PATH_MAX) {
    return invalid_argument(std::string(what) + " " + quoted_prefix(clean) + " is longer than PATH_MAX (" +
                            std::to_string(PATH_MAX - 1) + " bytes)");
  }
  for (std::size_t pos = 0; pos < clean.size();) {
    std::size_t end = clean.find('/', pos);
    if (end == std::string_view::npos) end = clean.size();
    if (end - pos > NAME_MAX) {
      return invalid_argument(std::string(what) + " " + quoted_prefix(clean) + " has a name component of " +
                              std::to_string(end - pos) + " bytes, over NAME_MAX (" +
                              std::to_string(NAME_MAX) + ")");
    }
    pos = end + 1;
  }
  return {};
}

std::string proc_fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

std::string join(std::string_view dir, std::string_view base) {
  if (dir.empty()) return std::string(base);
  std::string out(dir);
  out += '/';
  out += base;
  return out;
}

class Applier {
 public:
  Applier(const Root& root, UndoLog& undo, const ApplyOptions& options, TarReader& reader)
      : root_(root),
        undo_(undo),
        mode_(options.whiteouts),
        lower_dirs_(options.whiteouts == WhiteoutMode::kOverlay ? options.lower_dirs
                                                                : std::vector<std::filesystem::path>{}),
        max_entries_(options.max_entries),
        cancelled_(options.cancelled),
        reader_(reader) {}

  Status run() {
    TarEntry entry;
    for (int64_t count = 0;; ++count) {
      // Before each entry: a layer of many small files may hold thousands
      // in one chunk of the stream, where BoundedStream asks next.
      if (cancelled_) {
        if (Status st = cancelled_(); !st.ok())
          return st.with_context("apply stopped after " + std::to_string(count) + " entries");
      }
      auto more = reader_.next(entry);
      if (!more.ok()) return more.status();
      if (!*more) break;
      if (max_entries_ > 0 && count >= max_entries_)
        return over_limit("max_apply_entries", max_entries_, "the layer's number of entries is");
      BERTH_RETURN_IF_ERROR(apply(entry));
    }
    return finish_dirs();
  }

 private:
  // What was at a name before an entry took it.
  enum class Before {
    kNothing,   // the entry is new: the undo log takes it
    kReplaced,  // something else was there and has been removed
    kKeptDir,   // a directory, kept for a directory entry
  };

  Status apply(const TarEntry& e) {
    const std::string path = clean_name(e.path);
    BERTH_RETURN_IF_ERROR(check_name_lengths(path, "tar entry"));
    if (path.empty()) {
      if (e.type != EntryType::kDirectory) {
        return invalid_argument("tar entry " + e.path + " names the root but is not a directory");
      }
      return update_root(e);
    }
    const auto [dir, base] = split_parent(path);
    auto wh = parse_whiteout(base);
    if (!wh.ok()) return wh.status().with_context("tar entry " + e.path);
    switch (wh->kind) {
      case WhiteoutKind::kDelete:
        return whiteout(dir, wh->target);
      case WhiteoutKind::kOpaque:
        return opaque(dir);
      case WhiteoutKind::kIgnore:
        return {};
      case WhiteoutKind::kNone:
        break;
    }
    auto parent = parent_dir(dir, /*create=*/true);
    if (!parent.ok()) return parent.status().with_context("apply " + show(path));
    const int pfd = *parent;
    const std::string base_name(base);
    Status st;
    switch (e.type) {
      case EntryType::kRegular:
        st = create_regular(pfd, base_name, path, e);
        break;
      case EntryType::kDirectory:
        st = create_dir(pfd, base_name, path, e);
        break;
      case EntryType::kSymlink:
        st = create_symlink(pfd, base_name, path, e);
        break;
      case EntryType::kHardlink:
        st = create_hardlink(pfd, base_name, path, e);
        break;
      case EntryType::kCharDevice:
      case EntryType::kBlockDevice:
      case EntryType::kFifo:
        st = create_node(pfd, base_name, path, e);
        break;
    }
    if (!st.ok()) return st;
    mark_seen(path);
    return {};
  }

  // The parent directory `dir` (cached: tar entries come grouped by
  // directory, and one openat2 per entry is what the resolution costs).
  Result<int> parent_dir(std::string_view dir, bool create) {
    if (cache_fd_ && !cache_stale_ && cache_dir_ == dir) return cache_fd_.get();
    auto fd = create ? make_dirs(dir) : root_.open_dir(dir);
    if (!fd.ok()) return fd.status();
    cache_fd_ = std::move(fd).value();
    cache_dir_ = std::string(dir);
    cache_stale_ = false;
    return cache_fd_.get();
  }
  // Anything removed may be the cached directory, one on its path, or a
  // symlink it was resolved through. The fd stays open (the caller may be
  // using it as the parent right now); the next lookup resolves afresh.
  void invalidate() { cache_stale_ = true; }

  // Root::make_dirs, noting the directories it makes for the undo log.
  Result<UniqueFd> make_dirs(std::string_view dir) {
    return root_.make_dirs(dir, [this](const std::string& made) { undo_.created(made, /*is_dir=*/true); });
  }

  // Records the path and its ancestors as entries of this layer: opaque
  // directories and whiteouts only hide what lower layers put there.
  void mark_seen(const std::string& path) {
    std::string p = path;
    while (seen_.insert(p).second) {
      const auto slash = p.rfind('/');
      if (slash == std::string::npos) break;
      p.resize(slash);
    }
  }

  // Clears the way for a new entry at `base`. A directory stays when the new
  // entry is a directory too (its metadata is updated); anything else goes.
  Result<Before> clear_existing(int pfd, const std::string& base, const std::string& path, bool new_is_dir) {
    struct stat st {};
    if (::fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return Before::kNothing;
      return errno_status("stat " + show(path), errno);
    }
    if (S_ISDIR(st.st_mode)) {
      if (new_is_dir) return Before::kKeptDir;
      invalidate();
      BERTH_RETURN_IF_ERROR(remove_all_at(pfd, base, path));
      return Before::kReplaced;
    }
    invalidate();
    if (::unlinkat(pfd, base.c_str(), 0) != 0) return errno_status("replace " + show(path), errno);
    return Before::kReplaced;
  }

  // Right after the syscall that made `path`, before anything else can fail.
  void made(Before before, const std::string& path, bool is_dir) {
    if (before == Before::kNothing) undo_.created(path, is_dir);
  }

  static timespec access_time(const TarEntry& e) { return e.has_atime ? e.atime : e.mtime; }

  // Ownership first, then mode: chown clears setuid/setgid.
  static Status own_and_chmod(int fd, const std::string& path, const TarEntry& e) {
    if (::fchown(fd, e.uid, e.gid) != 0) return errno_status("chown " + show(path), errno);
    if (::fchmod(fd, e.mode) != 0) return errno_status("chmod " + show(path), errno);
    return {};
  }

  // `set` is fsetxattr on an fd, or setxattr on /proc/self/fd/N for nodes
  // that can only be held by an O_PATH fd.
  template <class SetFn>
  static Status set_xattrs(const std::string& path, const TarEntry& e, SetFn set) {
    for (const auto& [name, value] : e.xattrs) {
      if (name.rfind(kOverlayXattrPrefix, 0) == 0) {
        log::warn("apply layer: ignoring xattr {} on {}", name, show(path));
        continue;
      }
      if (set(name.c_str(), value) == 0) continue;
      const int err = errno;
      // File systems without xattrs (or without this namespace), and
      // namespaces we may not write (trusted.* in a user namespace), lose the
      // attribute rather than the layer; containerd does the same.
      if (err == ENOTSUP || err == EPERM) {
        log::warn("apply layer: cannot set xattr {} on {}: {}", name, show(path), std::strerror(err));
        continue;
      }
      return errno_status("set xattr " + name + " on " + show(path), err);
    }
    return {};
  }

  Status create_regular(int pfd, const std::string& base, const std::string& path, const TarEntry& e) {
    auto before = clear_existing(pfd, base, path, false);
    if (!before.ok()) return before.status();
    // O_EXCL | O_NOFOLLOW: a name that reappeared as a symlink is never
    // followed into writing somewhere else.
    const int raw = ::openat(pfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0) return errno_status("create file " + show(path), errno);
    UniqueFd fd(raw);
    made(*before, path, false);
    int64_t end = 0;
    BERTH_RETURN_IF_ERROR(reader_.read_data([&](int64_t offset, std::string_view data) -> Status {
      BERTH_RETURN_IF_ERROR(files::pwrite_all(fd.get(), data, offset, show(path)));
      end = std::max<int64_t>(end, offset + static_cast<int64_t>(data.size()));
      return {};
    }));
    // A sparse file's trailing hole.
    if (end < e.size && ::ftruncate(fd.get(), e.size) != 0)
      return errno_status("truncate " + show(path), errno);
    BERTH_RETURN_IF_ERROR(own_and_chmod(fd.get(), path, e));
    BERTH_RETURN_IF_ERROR(set_xattrs(path, e, [&](const char* n, const std::string& v) {
      return ::fsetxattr(fd.get(), n, v.data(), v.size(), 0);
    }));
    const timespec times[2] = {access_time(e), e.mtime};
    if (::futimens(fd.get(), times) != 0) return errno_status("set times of " + show(path), errno);
    return {};
  }

  Status create_dir(int pfd, const std::string& base, const std::string& path, const TarEntry& e) {
    auto before = clear_existing(pfd, base, path, true);
    if (!before.ok()) return before.status();
    if (*before != Before::kKeptDir) {
      if (::mkdirat(pfd, base.c_str(), 0700) != 0)
        return errno_status("create directory " + show(path), errno);
      made(*before, path, true);
    }
    const int raw = ::openat(pfd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) return errno_status("open directory " + show(path), errno);
    UniqueFd fd(raw);
    return finish_dir(fd.get(), path, e);
  }

  Status update_root(const TarEntry& e) {
    const int raw = open_in_root(root_.fd(), "", O_RDONLY | O_DIRECTORY);
    if (raw < 0) return errno_status("open the root directory", -raw);
    UniqueFd fd(raw);
    return finish_dir(fd.get(), "", e);
  }

  Status finish_dir(int fd, const std::string& path, const TarEntry& e) {
    BERTH_RETURN_IF_ERROR(own_and_chmod(fd, path, e));
    BERTH_RETURN_IF_ERROR(set_xattrs(path, e, [&](const char* n, const std::string& v) {
      return ::fsetxattr(fd, n, v.data(), v.size(), 0);
    }));
    // Creating the children would move the times again: set them at the end.
    dir_times_.push_back({path, {access_time(e), e.mtime}});
    return {};
  }

  Status create_symlink(int pfd, const std::string& base, const std::string& path, const TarEntry& e) {
    if (e.link.size() >= PATH_MAX) {
      return invalid_argument("symlink " + show(path) + ": its target " + quoted_prefix(e.link) +
                              " is longer than PATH_MAX (" + std::to_string(PATH_MAX - 1) + " bytes)");
    }
    auto before = clear_existing(pfd, base, path, false);
    if (!before.ok()) return before.status();
    // The target is stored as written: it is only ever resolved later, by
    // whoever uses the root (and by us, inside the root).
    if (::symlinkat(e.link.c_str(), pfd, base.c_str()) != 0)
      return errno_status("create symlink " + show(path), errno);
    made(*before, path, false);
    if (::fchownat(pfd, base.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_status("chown symlink " + show(path), errno);
    }
    // No chmod: a symlink's mode means nothing on Linux and there is no
    // non-following chmod. No xattrs either (user.* is refused on symlinks).
    const timespec times[2] = {access_time(e), e.mtime};
    if (::utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_status("set times of symlink " + show(path), errno);
    }
    return {};
  }

  Status create_hardlink(int pfd, const std::string& base, const std::string& path, const TarEntry& e) {
    const std::string target = clean_name(e.link);
    BERTH_RETURN_IF_ERROR(check_name_lengths(target, "hardlink " + show(path) + " to"));
    if (target == path) return {};  // a link to itself: nothing to do
    if (target.empty()) return invalid_argument("hardlink " + show(path) + " names the root as its target");
    const auto [tdir, tbase] = split_parent(target);
    // The target's directory is resolved inside the root like any other, and
    // linkat() without AT_SYMLINK_FOLLOW links a symlink itself, never what
    // it points to: a link can only ever share an inode inside the root.
    const std::string tname(tbase);
    struct stat st {};
    auto tparent = root_.open_dir(tdir);
    const bool here = tparent.ok() && ::fstatat(tparent->get(), tname.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!here && !lower_dirs_.empty()) {
      BERTH_RETURN_IF_ERROR(copy_up(target).with_context("hardlink " + show(path) + " to " + show(target)));
      tparent = root_.open_dir(tdir);
    }
    if (!tparent.ok()) return tparent.status().with_context("hardlink " + show(path) + " to " + show(target));
    if (::fstatat(tparent->get(), tname.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_status("hardlink " + show(path) + " to " + show(target), errno);
    }
    if (S_ISDIR(st.st_mode))
      return invalid_argument("hardlink " + show(path) + " to directory " + show(target));
    auto before = clear_existing(pfd, base, path, false);
    if (!before.ok()) return before.status();
    if (::linkat(tparent->get(), tname.c_str(), pfd, base.c_str(), 0) != 0) {
      return errno_status("hardlink " + show(path) + " to " + show(target), errno);
    }
    made(*before, path, false);
    return {};
  }

  // Copies `target` (a root-relative clean path) from the nearest lower layer
  // that has it into the target directory, with its owner, mode and times,
  // so a hardlink to it can be made here. Lookups in a lower layer are
  // confined to that layer like every other; a whiteout there ends the search.
  Status copy_up(const std::string& target) {
    for (const auto& lower : lower_dirs_) {
      UniqueFd lroot(::open(lower.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!lroot) return errno_status("open lower layer " + lower.string(), errno);
      const int found = open_in_root(lroot.get(), target, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (found == -ENOENT || found == -ENOTDIR) continue;
      if (found < 0) return errno_status("look up " + show(target) + " in " + lower.string(), -found);
      UniqueFd probe(found);
      struct stat st {};
      if (::fstat(probe.get(), &st) != 0)
        return errno_status("stat " + show(target) + " in " + lower.string(), errno);
      if (S_ISCHR(st.st_mode) && st.st_rdev == 0) break;  // whited out in this layer
      if (!S_ISREG(st.st_mode)) {
        return invalid_argument("the lower layers' " + show(target) +
                                " is not a regular file; only those are copied up");
      }
      const int raw_src = open_in_root(lroot.get(), target, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (raw_src < 0) return errno_status("open " + show(target) + " in " + lower.string(), -raw_src);
      UniqueFd src(raw_src);
      const auto [dir, base] = split_parent(target);
      auto parent = make_dirs(dir);
      if (!parent.ok()) return parent.status();
      invalidate();
      const std::string name(base);
      const int raw_dst =
          ::openat(parent->get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (raw_dst < 0) return errno_status("copy up " + show(target), errno);
      UniqueFd dst(raw_dst);
      made(Before::kNothing, target, false);
      for (;;) {
        const ssize_t n = ::copy_file_range(src.get(), nullptr, dst.get(), nullptr, 1 << 30, 0);
        if (n < 0) return errno_status("copy up " + show(target), errno);
        if (n == 0) break;
      }
      if (::fchown(dst.get(), st.st_uid, st.st_gid) != 0 || ::fchmod(dst.get(), st.st_mode & 07777) != 0)
        return errno_status("set owner and mode of copied-up " + show(target), errno);
      const timespec times[2] = {st.st_atim, st.st_mtim};
      if (::futimens(dst.get(), times) != 0)
        return errno_status("set times of copied-up " + show(target), errno);
      return {};
    }
    return not_found(show(target) + " is in no layer");
  }

  Status create_node(int pfd, const std::string& base, const std::string& path, const TarEntry& e) {
    auto before = clear_existing(pfd, base, path, false);
    if (!before.ok()) return before.status();
    mode_t type = S_IFIFO;
    dev_t dev = 0;
    if (e.type == EntryType::kCharDevice) type = S_IFCHR;
    if (e.type == EntryType::kBlockDevice) type = S_IFBLK;
    if (e.type != EntryType::kFifo) dev = makedev(e.dev_major, e.dev_minor);
    if (::mknodat(pfd, base.c_str(), type | 0600, dev) != 0)
      return errno_status("mknod " + show(path), errno);
    made(*before, path, false);
    if (::fchownat(pfd, base.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_status("chown " + show(path), errno);
    }
    // A device or fifo cannot be opened for fchmod without side effects, and
    // fchmodat() follows symlinks. Hold the node by an O_PATH fd (not
    // following), check it is the node we made, and chmod it through its
    // /proc/self/fd link, which names exactly that inode.
    const int raw = ::openat(pfd, base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) return errno_status("open " + show(path), errno);
    UniqueFd fd(raw);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno_status("stat " + show(path), errno);
    if ((st.st_mode & S_IFMT) != type) return internal(show(path) + " changed while being created");
    const std::string proc = proc_fd_path(fd.get());
    if (::chmod(proc.c_str(), e.mode) != 0) return errno_status("chmod " + show(path), errno);
    BERTH_RETURN_IF_ERROR(set_xattrs(path, e, [&](const char* n, const std::string& v) {
      return ::setxattr(proc.c_str(), n, v.data(), v.size(), 0);
    }));
    const timespec times[2] = {access_time(e), e.mtime};
    if (::utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return errno_status("set times of " + show(path), errno);
    }
    return {};
  }

  Status whiteout(std::string_view dir, const std::string& name) {
    const std::string path = join(dir, name);
    // Whiteouts hide lower layers only, never this layer's own entries.
    if (seen_.count(path) != 0) return {};
    if (mode_ == WhiteoutMode::kOverlay) {
      auto parent = parent_dir(dir, /*create=*/true);
      if (!parent.ok()) return parent.status().with_context("whiteout " + show(path));
      auto before = clear_existing(*parent, name, path, false);
      if (!before.ok()) return before.status();
      if (::mknodat(*parent, name.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
        return errno_status("create whiteout " + show(path), errno);
      }
      made(*before, path, false);
      return {};
    }
    auto parent = parent_dir(dir, /*create=*/false);
    if (!parent.ok()) {
      // Nothing below a missing (or non-directory) parent to delete.
      if (parent.status().code() == Code::kNotFound) return {};
      return parent.status().with_context("whiteout " + show(path));
    }
    invalidate();
    return remove_all_at(*parent, name, path);
  }

  Status opaque(std::string_view dir) {
    const std::string path(dir);
    if (mode_ == WhiteoutMode::kOverlay) {
      auto parent = parent_dir(dir, /*create=*/true);
      if (!parent.ok()) return parent.status().with_context("opaque directory " + show(path));
      const int raw = ::openat(*parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (raw < 0) return errno_status("open opaque directory " + show(path), errno);
      UniqueFd fd(raw);
      if (::fsetxattr(fd.get(), kOverlayOpaqueXattr, "y", 1, 0) != 0) {
        return errno_status(std::string("set ") + kOverlayOpaqueXattr + " on " + show(path), errno);
      }
      mark_seen(path);
      return {};
    }
    auto parent = parent_dir(dir, /*create=*/false);
    if (!parent.ok()) {
      if (parent.status().code() == Code::kNotFound) return {};
      return parent.status().with_context("opaque directory " + show(path));
    }
    const int raw = ::openat(*parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (raw < 0) return errno_status("open opaque directory " + show(path), errno);
    UniqueFd fd(raw);
    invalidate();
    return clear_dir(fd.get(), path, [this](const std::string& child) { return seen_.count(child) != 0; });
  }

  Status finish_dirs() {
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      if (it->path.empty()) {
        const int raw = open_in_root(root_.fd(), "", O_RDONLY | O_DIRECTORY);
        if (raw < 0) return errno_status("open the root directory", -raw);
        UniqueFd fd(raw);
        if (::futimens(fd.get(), it->times) != 0) return errno_status("set times of /", errno);
        continue;
      }
      const auto [dir, base] = split_parent(it->path);
      auto parent = parent_dir(dir, /*create=*/false);
      if (!parent.ok()) continue;  // removed by a later entry or whiteout
      const std::string name(base);
      struct stat st {};
      if (::fstatat(*parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
      if (::utimensat(*parent, name.c_str(), it->times, AT_SYMLINK_NOFOLLOW) != 0) {
        return errno_status("set times of " + show(it->path), errno);
      }
    }
    return {};
  }

  struct DirTimes {
    std::string path;
    timespec times[2];
  };

  const Root& root_;
  UndoLog& undo_;
  WhiteoutMode mode_;
  std::vector<std::filesystem::path> lower_dirs_;  // nearest first; see ApplyOptions
  int64_t max_entries_;
  const CancelCheck& cancelled_;
  TarReader& reader_;
  std::unordered_set<std::string> seen_;
  std::vector<DirTimes> dir_times_;
  std::string cache_dir_;
  UniqueFd cache_fd_;
  bool cache_stale_ = false;
};

// The apply itself; apply_layer undoes it if it fails.
Result<ApplyResult> apply_stream(ChunkStream& uncompressed, const Root& root, UndoLog& undo,
                                 const ApplyOptions& options) {
  HashingStream hashed(uncompressed);
  {
    PrefetchStream ahead(hashed);
    BoundedStream bounded(ahead, options.max_bytes, options.cancelled);
    TarReader reader(bounded);
    Applier applier(root, undo, options, reader);
    BERTH_RETURN_IF_ERROR(applier.run().with_context("apply layer to " + root.path().string()));
    // The tar's trailing zero blocks and record padding belong to the diffID.
    for (;;) {
      auto chunk = bounded.next();
      if (!chunk.ok()) return chunk.status().with_context("read the end of the layer");
      if (chunk->empty()) break;
    }
  }  // the worker has stopped: the hash is complete and ours to read
  auto diff_id = hashed.digest();
  if (!diff_id.ok()) return diff_id.status();
  ApplyResult result{std::move(*diff_id), hashed.size()};
  if (!options.expected_diff_id.empty() && result.diff_id != options.expected_diff_id) {
    return failed_precondition("layer diffID mismatch: the uncompressed layer is " + result.diff_id +
                               " but " + options.expected_diff_id + " was expected");
  }
  return result;
}

}  // namespace

Result<ApplyResult> apply_layer(ByteSource& blob, Compression compression,
                                const std::filesystem::path& target, const ApplyOptions& options) {
  auto root = Root::open(target);
  if (!root.ok()) return root.status();
  auto stream = open_decompressor(compression, blob);
  if (!stream.ok()) return stream.status();
  UndoLog undo;
  auto result = apply_stream(**stream, *root, undo, options);
  if (!result.ok()) {
    if (Status st = undo.undo(*root); !st.ok())
      log::warn("apply layer to {}: could not remove all it wrote after it failed: {}", target.string(),
                st.to_string());
  }
  return result;
}

Result<ApplyResult> apply_layer(ByteSource& blob, std::string_view media_type,
                                const std::filesystem::path& target, const ApplyOptions& options) {
  auto compression = compression_for_media_type(media_type);
  if (!compression.ok()) return compression.status();
  return apply_layer(blob, *compression, target, options);
}

}  // namespace berth::diff
