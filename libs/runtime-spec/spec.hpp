// The OCI runtime spec (config.json, version 1.0.2) of a container made from
// an image, as containerd builds it for `ctr run`: its Unix defaults, then
// the image config (oci.WithImageConfig), then what the caller overrides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"
#include "oci/oci.hpp"

namespace berth::runtime_spec {

// A mount the caller adds, as in config.json's "mounts".
struct SpecMount {
  std::string type;  // "bind", "tmpfs", ...
  std::string source;
  std::string destination;  // absolute, inside the container
  std::vector<std::string> options;
};

struct SpecOverrides {
  std::vector<std::string> args;  // replace the image's Cmd (the Entrypoint stays)
  std::vector<std::string> env;   // "K=V", replacing the image's value of K
  std::optional<std::string> cwd;
  std::optional<std::string> user;  // replaces the image's USER
  bool terminal = false;
  bool host_network = false;  // no network namespace
  bool readonly_rootfs = false;
  std::optional<uint64_t> memory_limit_bytes;
  std::optional<double> cpus;     // 1.5 = one and a half CPUs of CFS quota
  std::vector<SpecMount> mounts;  // after the defaults, as containerd's WithMounts
};

struct SpecInput {
  std::string id;
  std::string namespace_name;  // cgroupsPath is /<namespace>/<id>
  oci::ProcessDefaults image;
  // The unpacked image, where USER names are looked up; empty skips the
  // lookups (a name is then refused).
  std::filesystem::path rootfs;
  SpecOverrides overrides;
};

// InvalidArgument for an empty id or namespace, no args at all, a malformed
// env entry, a relative cwd, a mount with a relative destination or
// non-positive cpus; user errors as
// resolve_user reports them.
Result<nlohmann::json> make_spec(const SpecInput& in);

}  // namespace berth::runtime_spec
