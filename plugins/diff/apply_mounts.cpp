#include "apply_mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

#include "text/text.hpp"

namespace berth::diff {
namespace {

// mount(8) reads the options in order: the last of "ro" and "rw" wins.
bool read_only(const Mount& m) {
  for (auto it = m.options.rbegin(); it != m.options.rend(); ++it) {
    if (*it == "ro") return true;
    if (*it == "rw") return false;
  }
  return false;
}

std::vector<std::string> split_lowerdirs(const std::string& value) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < value.size();) {
    auto next = value.find(':', pos);
    if (next == std::string::npos) next = value.size();
    if (next > pos) out.push_back(value.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

// Paths in messages are quoted (a client chose them), whole up to PATH_MAX.
constexpr std::size_t kPathMax = 4096;

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// The system calls that take these strings read them up to the first NUL:
// a path "/a\0/b" would be taken as "/a", and the layer written there.
Status check_no_nul(const std::string& label, const Mount& m) {
  const char* field = has_nul(m.type)     ? "type"
                      : has_nul(m.source) ? "source"
                      : has_nul(m.target) ? "target"
                                          : nullptr;
  if (field == nullptr) {
    for (const auto& o : m.options) {
      if (has_nul(o)) field = "options";
    }
  }
  if (field == nullptr) return {};
  return invalid_argument(label + " has a NUL byte in its " + field +
                          ": the kernel would read only what comes before it");
}

// Why `path` cannot be used, from the errno of resolving it: what does not
// exist is NotFound, what cannot be resolved (a symlink loop, a name too
// long) is the caller's mistake. Both name `what` and the path.
Status path_error(const std::string& what, const std::string& path, int err) {
  const std::string named = what + " " + text::quote(path, kPathMax);
  switch (err) {
    case ENOENT:
      return not_found(named + " does not exist");
    case ENOTDIR:
      return not_found(named + " does not exist: a component of it is not a directory");
    case ELOOP:
    case ENAMETOOLONG:
    case EINVAL:
      return invalid_argument(named + " cannot be resolved: " + std::strerror(err));
    default:
      return errno_status(named, err);
  }
}

// `path` must be absolute (a relative one would resolve against the
// daemon's working directory) and, when `written`, outside the differ's own
// directories.
Status check_path(const std::string& what, const std::string& path, bool written,
                  const std::vector<std::filesystem::path>& own_dirs) {
  if (path.empty() || path[0] != '/')
    return invalid_argument(what + " " + text::quote(path, kPathMax) + " is not an absolute path");
  if (!written) return {};
  std::error_code ec;
  const auto resolved = std::filesystem::weakly_canonical(path, ec);
  if (ec) return path_error(what, path, ec.value());
  for (const auto& own : own_dirs) {
    const auto [end, _] = std::mismatch(own.begin(), own.end(), resolved.begin(), resolved.end());
    if (end == own.end()) {
      return invalid_argument(what + " " + text::quote(path, kPathMax) +
                              " is inside the differ's own directory " + own.string() +
                              "; a layer is applied onto a snapshot's mounts");
    }
  }
  return {};
}

// A directory the mount names must exist: where the layer's files land, and
// what an overlay is made of.
Status check_directory(const std::string& what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path_error(what, path, errno);
  if (!S_ISDIR(st.st_mode))
    return invalid_argument(what + " " + text::quote(path, kPathMax) + " is not a directory");
  return {};
}

Status check_dir_path(const std::string& what, const std::string& path, bool written,
                      const std::vector<std::filesystem::path>& own_dirs) {
  BERTH_RETURN_IF_ERROR(check_path(what, path, written, own_dirs));
  return check_directory(what, path);
}

// The kernel splits an overlay's options at commas, so a value with a comma
// in it would be read as other options; and the differ and the kernel could
// disagree about which of two upperdirs is meant.
Status check_overlay_options(const std::string& label, const Mount& m) {
  for (const std::string_view key : {"lowerdir", "upperdir", "workdir"}) {
    int seen = 0;
    for (const auto& o : m.options) {
      if (o.size() > key.size() && o.compare(0, key.size(), key) == 0 && o[key.size()] == '=') ++seen;
    }
    if (seen > 1) return invalid_argument(label + " gives " + std::string(key) + " twice");
  }
  for (const auto& o : m.options) {
    if (o.find(',') != std::string::npos) {
      return invalid_argument(label + " has the option " + text::quote(o) +
                              " with a comma in it, which the kernel would read as several options");
    }
  }
  return {};
}

// `label` names the mount in messages: "mount 0 (type "bind", source "/x")".
Status check_mount(const std::string& label, const Mount& m,
                   const std::vector<std::filesystem::path>& own_dirs) {
  BERTH_RETURN_IF_ERROR(check_no_nul(label, m));
  if (!m.target.empty()) {
    return invalid_argument(label + " has target " + text::quote(m.target) +
                            ": a snapshot's mounts all go on one mount point, so the differ takes none with "
                            "a target");
  }
  const bool bind = is_bind_mount(m);
  if (!bind && m.type != "overlay") {
    return invalid_argument(label + " has type " + text::quote(m.type) +
                            ": the walking differ applies layers onto overlay and bind mounts, as the "
                            "overlayfs and native snapshotters hand them out");
  }
  if (read_only(m)) {
    return invalid_argument(label + " is read-only: a layer is applied onto an active snapshot, not a view");
  }
  if (bind) return check_dir_path(label + " source", m.source, true, own_dirs);

  BERTH_RETURN_IF_ERROR(check_overlay_options(label, m));
  const std::string upper = mount_option(m.options, "upperdir");
  if (upper.empty()) {
    return invalid_argument(
        label +
        " has no upperdir, so it is read-only: a layer is applied onto an active snapshot, "
        "not a view");
  }
  const auto lowers = split_lowerdirs(mount_option(m.options, "lowerdir"));
  // Every path is well-formed before any is looked up.
  for (const auto& lower : lowers)
    BERTH_RETURN_IF_ERROR(check_path(label + " lowerdir", lower, false, own_dirs));
  BERTH_RETURN_IF_ERROR(check_dir_path(label + " upperdir", upper, true, own_dirs));
  if (const std::string work = mount_option(m.options, "workdir"); !work.empty())
    BERTH_RETURN_IF_ERROR(check_dir_path(label + " workdir", work, true, own_dirs));
  for (const auto& lower : lowers) BERTH_RETURN_IF_ERROR(check_directory(label + " lowerdir", lower));
  return {};
}

}  // namespace

bool has_mount_option(const Mount& m, std::string_view word) {
  return std::find(m.options.begin(), m.options.end(), word) != m.options.end();
}

bool is_bind_mount(const Mount& m) {
  return m.type == "bind" || m.type == "rbind" || has_mount_option(m, "bind") || has_mount_option(m, "rbind");
}

Status check_apply_mounts(const std::vector<Mount>& mounts,
                          const std::vector<std::filesystem::path>& own_dirs) {
  if (mounts.empty()) {
    return invalid_argument(
        "no mounts given: a layer is applied onto the mounts of an active snapshot (from Snapshots.Prepare)");
  }
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    const std::string label = "mount " + std::to_string(i) + " (type " + text::quote(mounts[i].type, 64) +
                              ", source " + text::quote(mounts[i].source, kPathMax) + ")";
    BERTH_RETURN_IF_ERROR(check_mount(label, mounts[i], own_dirs));
  }
  return {};
}

Status check_mount_root(const std::filesystem::path& dir) {
  struct statx stx {};
  if (::statx(AT_FDCWD, dir.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) != 0)
    return errno_status("stat " + dir.string(), errno);
  // Kernels before 5.8 do not say; the checks before mounting still hold.
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) == 0) return {};
  if ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) == 0)
    return internal(dir.string() +
                    " is not a mount point after mounting the snapshot; nothing was written there");
  return {};
}

}  // namespace berth::diff
