#include "overlay_check.hpp"

#include <errno.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <string>

#include "files/dirs.hpp"

namespace berth::snapshot {

Status check_overlay_support(const std::filesystem::path& root) {
  BERTH_RETURN_IF_ERROR(files::make_dir(root, 0700, true).with_context("check overlayfs"));
  std::string tmpl = (root / "overlay-check-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    return errno_status("check overlayfs: create a directory in " + root.string(), errno);
  const std::filesystem::path dir = tmpl;
  Status st;
  for (const char* sub : {"lower1", "lower2", "upper", "work", "merged"}) {
    st = files::make_dir(dir / sub, 0700);
    if (!st.ok()) break;
  }
  if (st.ok()) {
    const std::string data = "lowerdir=" + (dir / "lower2").string() + ":" + (dir / "lower1").string() +
                             ",upperdir=" + (dir / "upper").string() + ",workdir=" + (dir / "work").string();
    const auto merged = dir / "merged";
    if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) != 0) {
      st = Status::skip("overlayfs does not work on " + root.string() + ": " +
                        errno_status("mount", errno).message());
    } else if (::umount2(merged.c_str(), 0) != 0) {
      st = errno_status("check overlayfs: unmount " + merged.string(), errno);
    }
  }
  if (Status rm = files::remove_tree(dir); st.ok()) st = rm;
  return st;
}

bool overlay_has_index_feature() { return ::access("/sys/module/overlay/parameters/index", F_OK) == 0; }

}  // namespace berth::snapshot
