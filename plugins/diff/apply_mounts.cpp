#include "apply_mounts.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>

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

// `path` must be absolute (a relative one would resolve against the
// daemon's working directory) and outside the differ's own directories.
Status check_path(const std::string& what, const std::string& path,
                  const std::vector<std::filesystem::path>& own_dirs) {
  if (path.empty() || path[0] != '/')
    return invalid_argument(what + " \"" + path + "\" is not an absolute path");
  std::error_code ec;
  const auto resolved = std::filesystem::weakly_canonical(path, ec);
  if (ec) return errno_status(what + " " + path, ec.value());
  for (const auto& own : own_dirs) {
    const auto [end, _] = std::mismatch(own.begin(), own.end(), resolved.begin(), resolved.end());
    if (end == own.end()) {
      return invalid_argument(what + " " + path + " is inside the differ's own directory " + own.string() +
                              "; a layer is applied onto a snapshot's mounts");
    }
  }
  return {};
}

// Where the layer's files land must be a directory that exists.
Status check_directory(const std::string& what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_status(what + " " + path, errno);
  if (!S_ISDIR(st.st_mode)) return invalid_argument(what + " " + path + " is not a directory");
  return {};
}

// `label` names the mount in messages: "mount 0 (bind /x)".
Status check_mount(const std::string& label, const Mount& m,
                   const std::vector<std::filesystem::path>& own_dirs) {
  if (!m.target.empty()) {
    return invalid_argument(
        label + " has target \"" + m.target +
        "\": a snapshot's mounts all go on one mount point, so the differ takes none with "
        "a target");
  }
  const bool bind = is_bind_mount(m);
  if (!bind && m.type != "overlay") {
    return invalid_argument(label + " has type \"" + m.type +
                            "\": the walking differ applies layers onto overlay and bind mounts, as the "
                            "overlayfs and native snapshotters hand them out");
  }
  if (read_only(m)) {
    return invalid_argument(label + " is read-only: a layer is applied onto an active snapshot, not a view");
  }
  if (bind) {
    BERTH_RETURN_IF_ERROR(check_path(label + " source", m.source, own_dirs));
    return check_directory(label + " source", m.source);
  }
  const std::string upper = mount_option(m.options, "upperdir");
  if (upper.empty()) {
    return invalid_argument(
        label +
        " has no upperdir, so it is read-only: a layer is applied onto an active snapshot, "
        "not a view");
  }
  BERTH_RETURN_IF_ERROR(check_path(label + " upperdir", upper, own_dirs));
  BERTH_RETURN_IF_ERROR(check_directory(label + " upperdir", upper));
  if (const std::string work = mount_option(m.options, "workdir"); !work.empty())
    BERTH_RETURN_IF_ERROR(check_path(label + " workdir", work, own_dirs));
  for (const auto& lower : split_lowerdirs(mount_option(m.options, "lowerdir"))) {
    if (lower[0] != '/')
      return invalid_argument(label + " lowerdir \"" + lower + "\" is not an absolute path");
  }
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
    const std::string label =
        "mount " + std::to_string(i) + " (" + mounts[i].type + " " + mounts[i].source + ")";
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
