#include "compare.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "berth/unique_fd.hpp"
#include "layer_writer.hpp"
#include "whiteout.hpp"

namespace berth::diff {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kCopyChunk = 1 << 20;
constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";

using Xattrs = std::vector<std::pair<std::string, std::string>>;

// Sorted names in `dir`; empty when it is not a directory.
Result<std::vector<std::string>> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return names;
    return errno_status("read directory " + dir.string(), errno);
  }
  while (dirent* de = ::readdir(d)) {
    const std::string_view n(de->d_name);
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Overlay's own attributes describe the upperdir's bookkeeping, not content.
Result<Xattrs> xattrs_of(const fs::path& p) {
  Xattrs out;
  ssize_t n = ::llistxattr(p.c_str(), nullptr, 0);
  if (n < 0) {
    if (errno == ENOTSUP) return out;
    return errno_status("list xattrs of " + p.string(), errno);
  }
  std::string names(static_cast<std::size_t>(n), '\0');
  n = ::llistxattr(p.c_str(), names.data(), names.size());
  if (n < 0) return errno_status("list xattrs of " + p.string(), errno);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n);) {
    const std::string name(names.c_str() + i);
    i += name.size() + 1;
    if (name.rfind(kOverlayXattrPrefix, 0) == 0) continue;
    ssize_t vn = ::lgetxattr(p.c_str(), name.c_str(), nullptr, 0);
    if (vn < 0) return errno_status("read xattr " + name + " of " + p.string(), errno);
    std::string value(static_cast<std::size_t>(vn), '\0');
    vn = ::lgetxattr(p.c_str(), name.c_str(), value.data(), value.size());
    if (vn < 0) return errno_status("read xattr " + name + " of " + p.string(), errno);
    value.resize(static_cast<std::size_t>(vn));
    out.emplace_back(name, std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<bool> same_content(const fs::path& a, const fs::path& b) {
  UniqueFd fa(::open(a.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fa) return errno_status("open " + a.string(), errno);
  UniqueFd fb(::open(b.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fb) return errno_status("open " + b.string(), errno);
  std::vector<char> ba(1 << 16), bb(1 << 16);
  for (;;) {
    const ssize_t na = ::read(fa.get(), ba.data(), ba.size());
    if (na < 0) return errno_status("read " + a.string(), errno);
    std::size_t got = 0;
    while (got < static_cast<std::size_t>(na)) {
      const ssize_t nb = ::read(fb.get(), bb.data() + got, static_cast<std::size_t>(na) - got);
      if (nb < 0) return errno_status("read " + b.string(), errno);
      if (nb == 0) return false;
      got += static_cast<std::size_t>(nb);
    }
    if (std::memcmp(ba.data(), bb.data(), got) != 0) return false;
    if (na == 0) {
      char c;
      return ::read(fb.get(), &c, 1) == 0;
    }
  }
}

class DiffWriter {
 public:
  DiffWriter(fs::path lower, fs::path upper, LayerWriter& out)
      : lower_(std::move(lower)), upper_(std::move(upper)), out_(out), archive_(archive_write_new()) {}
  ~DiffWriter() { archive_write_free(archive_); }

  Status run() {
    // pax keeps nanosecond times, long names and xattrs (SCHILY.xattr.*).
    archive_write_set_format_pax(archive_);
    // No padding to 10 KiB records: the tar ends with its two zero blocks.
    archive_write_set_bytes_in_last_block(archive_, 1);
    if (archive_write_open(archive_, this, nullptr, &DiffWriter::write_callback, nullptr) != ARCHIVE_OK) {
      return archive_status("start the layer tar");
    }
    BERTH_RETURN_IF_ERROR(walk_both(""));
    if (archive_write_close(archive_) != ARCHIVE_OK) return archive_status("finish the layer tar");
    return {};
  }

 private:
  static la_ssize_t write_callback(struct archive* a, void* self, const void* buf, size_t len) {
    auto* w = static_cast<DiffWriter*>(self);
    Status st = w->out_.write(std::string_view(static_cast<const char*>(buf), len));
    if (!st.ok()) {
      w->sink_error_ = st;
      archive_set_error(a, EIO, "%s", st.message().c_str());
      return -1;
    }
    return static_cast<la_ssize_t>(len);
  }

  Status archive_status(const std::string& what) const {
    if (!sink_error_.ok()) return sink_error_.with_context(what);
    const char* msg = archive_error_string(archive_);
    return internal(what + ": " + (msg != nullptr ? msg : "libarchive error"));
  }

  static std::string join(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : dir + "/" + name;
  }

  static Result<struct stat> lstat_of(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return errno_status("stat " + p.string(), errno);
    return st;
  }

  // The two trees' directory `rel` (a directory in both); `written` when its
  // own entry is already in the tar, so it is not written again as a parent.
  Status walk_both(const std::string& rel, bool written = false) {
    auto lnames = list_dir(lower_ / rel);
    if (!lnames.ok()) return lnames.status();
    auto unames = list_dir(upper_ / rel);
    if (!unames.ok()) return unames.status();
    pending_.push_back(rel);
    if (written) emitted_depth_ = pending_.size();
    std::size_t i = 0, j = 0;
    while (i < lnames->size() || j < unames->size()) {
      const bool take_lower = j == unames->size() || (i < lnames->size() && (*lnames)[i] < (*unames)[j]);
      const bool take_upper = i == lnames->size() || (j < unames->size() && (*unames)[j] < (*lnames)[i]);
      if (take_lower) {
        BERTH_RETURN_IF_ERROR(emit_whiteout(rel, (*lnames)[i++]));
      } else if (take_upper) {
        BERTH_RETURN_IF_ERROR(emit_tree(join(rel, (*unames)[j++])));
      } else {
        const std::string child = join(rel, (*unames)[j]);
        ++i;
        ++j;
        BERTH_RETURN_IF_ERROR(compare_entry(child));
      }
    }
    pending_.pop_back();
    emitted_depth_ = std::min(emitted_depth_, pending_.size());
    return {};
  }

  Status compare_entry(const std::string& rel) {
    auto ls = lstat_of(lower_ / rel);
    if (!ls.ok()) return ls.status();
    auto us = lstat_of(upper_ / rel);
    if (!us.ok()) return us.status();
    auto changed = differs(rel, *ls, *us);
    if (!changed.ok()) return changed.status();
    const bool both_dirs = S_ISDIR(ls->st_mode) && S_ISDIR(us->st_mode);
    if (both_dirs) {
      if (*changed) BERTH_RETURN_IF_ERROR(emit(rel, *us));
      return walk_both(rel, *changed);
    }
    if (!*changed) return {};
    // A changed type: the applier replaces the old entry (a directory that
    // becomes a file goes with its contents), so a new directory is written
    // whole.
    return emit_tree(rel);
  }

  Result<bool> differs(const std::string& rel, const struct stat& l, const struct stat& u) {
    if ((l.st_mode & S_IFMT) != (u.st_mode & S_IFMT)) return true;
    if (l.st_mode != u.st_mode || l.st_uid != u.st_uid || l.st_gid != u.st_gid) return true;
    auto lx = xattrs_of(lower_ / rel);
    if (!lx.ok()) return lx.status();
    auto ux = xattrs_of(upper_ / rel);
    if (!ux.ok()) return ux.status();
    if (*lx != *ux) return true;
    if (S_ISDIR(u.st_mode)) return false;
    if (l.st_mtim.tv_sec != u.st_mtim.tv_sec || l.st_mtim.tv_nsec != u.st_mtim.tv_nsec) return true;
    if (S_ISCHR(u.st_mode) || S_ISBLK(u.st_mode)) return l.st_rdev != u.st_rdev;
    if (S_ISLNK(u.st_mode)) {
      std::error_code e1, e2;
      return fs::read_symlink(lower_ / rel, e1) != fs::read_symlink(upper_ / rel, e2) || e1 || e2;
    }
    if (S_ISREG(u.st_mode)) {
      if (l.st_size != u.st_size) return true;
      if (u.st_mtim.tv_nsec != 0) return false;
      auto same = same_content(lower_ / rel, upper_ / rel);
      if (!same.ok()) return same.status();
      return !*same;
    }
    return false;
  }

  // `rel` and, for a directory, everything below it.
  Status emit_tree(const std::string& rel) {
    auto st = lstat_of(upper_ / rel);
    if (!st.ok()) return st.status();
    BERTH_RETURN_IF_ERROR(emit(rel, *st));
    if (!S_ISDIR(st->st_mode)) return {};
    auto names = list_dir(upper_ / rel);
    if (!names.ok()) return names.status();
    for (const auto& n : *names) BERTH_RETURN_IF_ERROR(emit_tree(join(rel, n)));
    return {};
  }

  // The directories being walked that are not written yet, outermost first.
  Status flush_parents() {
    for (; emitted_depth_ < pending_.size(); ++emitted_depth_) {
      const std::string& dir = pending_[emitted_depth_];
      if (dir.empty()) continue;  // the root itself is not an entry
      auto st = lstat_of(upper_ / dir);
      if (!st.ok()) return st.status();
      BERTH_RETURN_IF_ERROR(write_header(dir, *st));
    }
    return {};
  }

  Status emit_whiteout(const std::string& dir, const std::string& name) {
    BERTH_RETURN_IF_ERROR(flush_parents());
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, join(dir, std::string(kWhiteoutPrefix) + name).c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0);
    archive_entry_set_size(e, 0);
    const int rc = archive_write_header(archive_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return archive_status("write whiteout for " + join(dir, name));
    return {};
  }

  Status emit(const std::string& rel, const struct stat& st) {
    BERTH_RETURN_IF_ERROR(flush_parents());
    return write_header(rel, st);
  }

  Status write_header(const std::string& rel, const struct stat& st) {
    const fs::path path = upper_ / rel;
    if (S_ISSOCK(st.st_mode)) return {};  // sockets are not layer content
    struct archive_entry* e = archive_entry_new();
    archive_entry_copy_stat(e, &st);
    // Only mtime is layer content; atime and ctime would make every layer
    // written from the same trees differ.
    archive_entry_unset_atime(e);
    archive_entry_unset_ctime(e);
    archive_entry_unset_birthtime(e);
    archive_entry_set_ino64(e, 0);
    archive_entry_set_dev(e, 0);
    archive_entry_set_nlink(e, 1);
    archive_entry_set_pathname(e, rel.c_str());
    bool with_data = false;
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const auto target = fs::read_symlink(path, ec);
      if (ec) {
        archive_entry_free(e);
        return errno_status("read symlink " + path.string(), ec.value());
      }
      archive_entry_set_symlink(e, target.c_str());
    } else if (S_ISREG(st.st_mode)) {
      const auto key = std::make_pair(st.st_dev, st.st_ino);
      auto it = st.st_nlink > 1 ? links_.find(key) : links_.end();
      if (it != links_.end()) {
        archive_entry_set_hardlink(e, it->second.c_str());
        archive_entry_set_size(e, 0);
      } else {
        if (st.st_nlink > 1) links_.emplace(key, rel);
        with_data = st.st_size > 0;
      }
    } else if (!S_ISDIR(st.st_mode)) {
      archive_entry_set_size(e, 0);
    }
    if (!S_ISLNK(st.st_mode)) {
      auto xattrs = xattrs_of(path);
      if (!xattrs.ok()) {
        archive_entry_free(e);
        return xattrs.status();
      }
      for (const auto& [k, v] : *xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    }
    const int rc = archive_write_header(archive_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return archive_status("write tar header for " + rel);
    if (with_data) return copy_data(path, st.st_size);
    return {};
  }

  Status copy_data(const fs::path& path, int64_t size) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return errno_status("open " + path.string(), errno);
    std::vector<char> buf(kCopyChunk);
    int64_t left = size;
    while (left > 0) {
      const ssize_t n =
          ::read(fd.get(), buf.data(), static_cast<std::size_t>(std::min<int64_t>(left, buf.size())));
      if (n < 0) return errno_status("read " + path.string(), errno);
      // A file that shrank while being read: the header promised `size`
      // bytes, so the tar would be corrupt.
      if (n == 0) return aborted(path.string() + " changed while the layer was being written");
      if (archive_write_data(archive_, buf.data(), static_cast<std::size_t>(n)) < 0) {
        return archive_status("write content of " + path.string());
      }
      left -= n;
    }
    return {};
  }

  fs::path lower_;
  fs::path upper_;
  LayerWriter& out_;
  struct archive* archive_;
  Status sink_error_;
  std::vector<std::string> pending_;
  std::size_t emitted_depth_ = 0;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

Result<DiffResult> write_diff(const fs::path& lower, const fs::path& upper, Compression compression,
                              ByteSink& out) {
  auto writer = LayerWriter::create(compression, out);
  if (!writer.ok()) return writer.status();
  DiffWriter diff(lower, upper, **writer);
  BERTH_RETURN_IF_ERROR(diff.run().with_context("compare " + lower.string() + " with " + upper.string()));
  BERTH_RETURN_IF_ERROR((*writer)->finish());
  auto diff_id = (*writer)->uncompressed_digest();
  if (!diff_id.ok()) return diff_id.status();
  return DiffResult{std::move(*diff_id), (*writer)->uncompressed_size()};
}

}  // namespace berth::diff
