#include "bundle.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "berth/mount.hpp"
#include "files/atomic_file.hpp"
#include "files/dirs.hpp"

namespace berth::runtime_runc {

namespace fs = std::filesystem;

Status check_path_component(std::string_view what, std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.front() == '.' ||
      name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
    return invalid_argument(std::string(what) + " \"" + std::string(name) +
                            "\" cannot name a bundle directory");
  return {};
}

Bundle::Bundle(fs::path state, fs::path root, std::string ns, std::string id)
    : path_(state / ns / id), work_(root / ns / id), ns_(std::move(ns)), id_(std::move(id)) {}

Result<Bundle> Bundle::create(const fs::path& state, const fs::path& root, std::string_view ns,
                              std::string_view id, std::string_view spec_json) {
  BERTH_RETURN_IF_ERROR(check_path_component("namespace", ns));
  BERTH_RETURN_IF_ERROR(check_path_component("task id", id));
  Bundle bundle(state, root, std::string(ns), std::string(id));
  // Namespace directories are shared by the namespace's bundles and stay.
  BERTH_RETURN_IF_ERROR(files::make_dir(state / ns, 0700, /*exist_ok=*/true));
  BERTH_RETURN_IF_ERROR(files::make_dir(root / ns, 0700, /*exist_ok=*/true));
  if (auto st = files::make_dir(bundle.path_, 0700); !st.ok()) {
    if (st.code() == Code::kAlreadyExists)
      return already_exists("task \"" + std::string(id) + "\" in namespace \"" + std::string(ns) +
                            "\" has a bundle already: " + bundle.path_.string());
    return st;
  }
  auto made = [&]() -> Status {
    BERTH_RETURN_IF_ERROR(files::make_dir(bundle.work_, 0700, /*exist_ok=*/true));
    BERTH_RETURN_IF_ERROR(files::make_dir(bundle.rootfs(), 0700));
    std::error_code ec;
    fs::create_symlink(bundle.work_, bundle.path_ / "work", ec);
    if (ec) return errno_status("symlink " + (bundle.path_ / "work").string(), ec.value());
    return files::replace_file(bundle.path_ / "config.json", spec_json, files::Durability::kAtomicOnly, 0600);
  }();
  if (!made.ok()) {
    (void)bundle.remove();
    return made;
  }
  return bundle;
}

Status Bundle::remove() const {
  auto hidden = hide();
  if (!hidden.ok()) return hidden.status();
  for (const fs::path& tree : *hidden) BERTH_RETURN_IF_ERROR(files::remove_tree(tree));
  return {};
}

Result<std::vector<fs::path>> Bundle::hide() const {
  // A shim that died (or was never told to) may have left the rootfs
  // mounted; removing the tree under a mount would empty the snapshot.
  for (;;) {
    if (::umount2(rootfs().c_str(), UMOUNT_NOFOLLOW) == 0) continue;
    if (errno == EINVAL || errno == ENOENT) break;
    if (errno == EBUSY) {
      if (::umount2(rootfs().c_str(), UMOUNT_NOFOLLOW | MNT_DETACH) == 0) continue;
    }
    return errno_status("unmount " + rootfs().string(), errno);
  }
  // Out of sight first, then gone: the work directory, then the bundle, so
  // a crash between the two leaves a bundle the restart finds and removes.
  std::vector<fs::path> hidden;
  for (const fs::path& dir : {work_, path_}) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(dir, ec))) continue;
    fs::path to = dir.parent_path() / ("." + id_ + ".deleting-" + std::to_string(std::random_device{}()));
    if (::rename(dir.c_str(), to.c_str()) != 0) return errno_status("rename " + dir.string(), errno);
    hidden.push_back(std::move(to));
  }
  return hidden;
}

}  // namespace berth::runtime_runc
