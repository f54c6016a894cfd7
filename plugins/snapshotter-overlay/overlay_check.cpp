#include "overlay_check.hpp"

#include <errno.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <string>

#include "berth/log.hpp"
#include "files/atomic_file.hpp"
#include "files/dirs.hpp"
#include "files/fd_io.hpp"

namespace berth::snapshot {
namespace {

constexpr const char* kRememberedFile = "overlay-check";

// What a passed check holds for: this boot (overlay may be blacklisted or
// unloaded at the next), this kernel, and the file system under `root`. Empty
// when any of them cannot be read, so nothing is remembered.
std::string check_key(const std::filesystem::path& root) {
  auto boot_id = files::read_file("/proc/sys/kernel/random/boot_id", 256);
  struct utsname u {};
  struct stat st {};
  if (!boot_id.ok() || ::uname(&u) != 0 || ::stat(root.c_str(), &st) != 0) return {};
  while (!boot_id->empty() && boot_id->back() == '\n') boot_id->pop_back();
  return "boot " + *boot_id + "\nkernel " + u.release + " " + u.version + "\ndevice " +
         std::to_string(static_cast<unsigned long long>(st.st_dev)) + "\n";
}

Status remove_check_dir(const std::filesystem::path& dir, const std::filesystem::path& merged) {
  Status st;
  if (::umount2(merged.c_str(), 0) != 0)
    st = errno_status("check overlayfs: unmount " + merged.string(), errno);
  // A mount that could not be unmounted is left, as remove_tree would fail
  // on it (EBUSY) anyway; its directory names it.
  if (!st.ok()) return st;
  return files::remove_tree(dir);
}

}  // namespace

Result<OverlayCheckCleanup> check_overlay_support(const std::filesystem::path& root) {
  BERTH_RETURN_IF_ERROR(files::make_dir(root, 0700, true).with_context("check overlayfs"));
  std::string key = check_key(root);
  const auto remembered = root / kRememberedFile;
  if (!key.empty()) {
    auto text = files::read_file(remembered, 4096);
    if (text.ok() && *text == key) return OverlayCheckCleanup();
  }
  std::string tmpl = (root / "overlay-check-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    return errno_status("check overlayfs: create a directory in " + root.string(), errno);
  const std::filesystem::path dir = tmpl;
  Status st;
  for (const char* sub : {"lower1", "lower2", "upper", "work", "merged"}) {
    st = files::make_dir(dir / sub, 0700);
    if (!st.ok()) break;
  }
  const auto merged = dir / "merged";
  if (st.ok()) {
    const std::string data = "lowerdir=" + (dir / "lower2").string() + ":" + (dir / "lower1").string() +
                             ",upperdir=" + (dir / "upper").string() + ",workdir=" + (dir / "work").string();
    const int rc = ::mount("overlay", merged.c_str(), "overlay", 0, data.c_str());
    const int err = errno;
    if (rc == 0) {
      // Passed: unmount, remove and remember on a thread of its own.
      return OverlayCheckCleanup(std::jthread([dir, merged, remembered, key = std::move(key)] {
        Status done = remove_check_dir(dir, merged);
        if (done.ok() && !key.empty())
          done = files::replace_file(remembered, key, files::Durability::kAtomicOnly);
        if (!done.ok()) log::warn("overlayfs check: {}", done.message());
      }));
    }
    st = Status::skip("overlayfs does not work on " + root.string() + ": " +
                      errno_status("mount", err).message());
  }
  if (Status rm = files::remove_tree(dir); st.ok()) st = rm;
  return st;
}

bool overlay_has_index_feature() { return ::access("/sys/module/overlay/parameters/index", F_OK) == 0; }

}  // namespace berth::snapshot
