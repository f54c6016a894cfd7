// Mounts as containerd describes them: what a snapshotter returns for a
// snapshot, and what a differ or a runtime mounts. A list of mounts is
// applied in order on one target (containerd's mount.All).
//
// options are mount(8) words: the flag words below become mount flags, every
// other word goes into the file system's data string ("lowerdir=...",
// "upperdir=...", "workdir=..."). An overlay whose data would not fit in the
// kernel's one-page mount data (many lowerdirs with long paths) is mounted
// with its lowerdirs relative to their common parent directory, from a
// thread with its own working directory, so 128 layers still mount.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth {

struct Mount {
  std::string type;    // "overlay", "bind", ...
  std::string source;  // a path, or the fs name for overlay
  std::string target;  // a path relative to the mount point; "" for the mount point
  std::vector<std::string> options;

  bool operator==(const Mount&) const = default;
};

// Mount flags recognised in options (as mount(8)): ro rw bind rbind remount
// nosuid suid nodev dev noexec exec sync async noatime atime nodiratime
// relatime strictatime private rprivate slave rslave shared rshared.
// Mounts `mounts` in order on `target` (an existing directory).
Status mount_all(const std::vector<Mount>& mounts, const std::filesystem::path& target);

// Unmounts everything mounted on `target`, innermost first (MNT_DETACH is
// not used: a busy mount is an error the caller must see).
Status unmount_all(const std::filesystem::path& target);

// The mounts `mounts` on a fresh private temporary directory under `parent`;
// unmounted and removed when the object dies. Used by differs to look into
// a snapshot.
class TempMount {
 public:
  static Result<TempMount> create(const std::vector<Mount>& mounts, const std::filesystem::path& parent);
  TempMount(TempMount&& other) noexcept;
  TempMount& operator=(TempMount&& other) noexcept;
  TempMount(const TempMount&) = delete;
  TempMount& operator=(const TempMount&) = delete;
  ~TempMount();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // Unmounts and removes the directory now; the error, if any.
  Status release();

 private:
  explicit TempMount(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// The value of the first option "key=value" in `options` with this key, or "".
std::string mount_option(const std::vector<std::string>& options, std::string_view key);

}  // namespace berth
