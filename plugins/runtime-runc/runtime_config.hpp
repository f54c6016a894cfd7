// The task runtime's configuration: which shim runs each runtime name, and
// the runc options a task gets when neither the request nor the container
// names any.
//
//   [plugins."io.containerd.runtime.v2.task".runtimes."io.containerd.runc.v2"]
//     shim = "containerd-shim-berth-v2"   # a name (beside berthd, then PATH) or a path
//   [plugins."io.containerd.runtime.v2.task".runtimes."io.containerd.runc.v2".options]
//     BinaryName = ""                     # containerd.runc.v1.Options fields
//     Root = ""
//     SystemdCgroup = false
//
// A runtime name with no section resolves as containerd resolves it: an
// absolute path is the shim itself; io.containerd.<name>.<version> runs
// containerd-shim-<name>-<version>.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "berth/any_value.hpp"
#include "berth/init_context.hpp"
#include "berth/status.hpp"

namespace berth::runtime_runc {

struct RuncOptions {
  std::string binary_name;  // "" : the shim's default (runc)
  std::string root;         // "" : the shim's default
  bool systemd_cgroup = false;

  [[nodiscard]] bool empty() const { return binary_name.empty() && root.empty() && !systemd_cgroup; }
  // As containerd.runc.v1.Options in an Any, the way a container carries them.
  [[nodiscard]] AnyValue to_any() const;
};

struct RuntimeEntry {
  std::string shim;  // a shim binary name or path
  RuncOptions options;
};

struct RuntimeConfig {
  std::map<std::string, RuntimeEntry> runtimes;
};

// `options` with Root set to `default_root` where they leave it empty: a
// task without options gets runc options holding just that Root; options of
// another type are left alone. So runc's state lives under the daemon's own
// state directory (<Root>/<namespace>) and two daemons on one host never
// share it. InvalidArgument for runc options that do not decode.
Result<std::optional<AnyValue>> with_runc_root(std::optional<AnyValue> options,
                                               const std::string& default_root);

// The plugin's defaults as TOML (its PluginSpec's default_config).
extern const char* const kDefaultRuntimeConfig;

// InvalidArgument naming the key for a value of the wrong type.
Result<RuntimeConfig> parse_runtime_config(const InitContext& ctx);

}  // namespace berth::runtime_runc
