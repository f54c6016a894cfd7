// A task's OCI bundle, laid out as containerd's runtime v2 lays it out:
//
//   <state>/<ns>/<id>/            0700, the shim's working directory
//     config.json                 the OCI runtime spec, 0600
//     rootfs/                     the shim mounts the task's rootfs here
//     work -> <root>/<ns>/<id>    persistent scratch space for the shim
//     log                         FIFO the shim writes its log to
//     address, shim-binary-path   written when its shim starts
//   <state>/s/                    the shims' sockets (Berth's shim puts them there)
//   <state>/.runc/<ns>/           runc's state, unless the task's options name a Root
//
// Bundles are what the runtime finds again after a restart, so a bundle is
// removed by first renaming it to a hidden name: a crash halfway leaves no
// half bundle that looks like a task.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"

namespace berth::runtime_runc {

class Bundle {
 public:
  // Makes the bundle; AlreadyExists if one is there. Removes what it made
  // when a step fails.
  static Result<Bundle> create(const std::filesystem::path& state, const std::filesystem::path& root,
                               std::string_view ns, std::string_view id, std::string_view spec_json);
  // An existing bundle (found at start-up).
  Bundle(std::filesystem::path state, std::filesystem::path root, std::string ns, std::string id);

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] const std::string& ns() const { return ns_; }
  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] std::filesystem::path rootfs() const { return path_ / "rootfs"; }

  // Unmounts whatever is still mounted on rootfs/ (the shim normally has),
  // then removes the work directory and the bundle. Absent parts are fine.
  Status remove() const;
  // The same up to the removal: what is left is renamed to hidden names
  // (".<id>.deleting-N" beside where it was), which it returns for the
  // caller to remove. The bundle's path and id are free once it returns.
  Result<std::vector<std::filesystem::path>> hide() const;

 private:
  std::filesystem::path path_;
  std::filesystem::path work_;
  std::string ns_;
  std::string id_;
};

// InvalidArgument unless `name` can be one path component of a bundle
// (no '/', not "." or "..", not hidden, not empty).
Status check_path_component(std::string_view what, std::string_view name);

}  // namespace berth::runtime_runc
