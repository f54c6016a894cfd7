#include "runtime-spec/spec.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "runtime-spec/spec_defaults.hpp"
#include "runtime-spec/user.hpp"

namespace berth::runtime_spec {
namespace {

using nlohmann::json;

constexpr int64_t kCfsPeriod = 100000;  // microseconds, the kernel's default

std::string_view env_key(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// The image's env with each override replacing the entry of the same key
// (or appended); "K" without "=" removes K, as containerd's
// replaceOrAppendEnvValues does.
Result<std::vector<std::string>> merge_env(std::vector<std::string> env,
                                           const std::vector<std::string>& overrides) {
  bool has_path = false;
  for (const auto& e : env) has_path = has_path || env_key(e) == "PATH";
  // Without a PATH nothing but absolute args would run.
  if (!has_path) env.insert(env.begin(), kDefaultPath);
  for (const auto& o : overrides) {
    const std::string_view key = env_key(o);
    if (key.empty()) return Status(Code::kInvalidArgument, "env \"" + o + "\" has no name");
    auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return env_key(e) == key; });
    const bool remove = o.find('=') == std::string::npos;
    if (it != env.end()) {
      if (remove)
        env.erase(it);
      else
        *it = o;
    } else if (!remove) {
      env.push_back(o);
    }
  }
  return env;
}

json namespaces(bool host_network) {
  json out = json::array();
  for (const char* type : {"pid", "ipc", "uts", "mount", "network"}) {
    if (host_network && std::string_view(type) == "network") continue;
    out.push_back({{"type", type}});
  }
  return out;
}

Result<json> resources(const SpecOverrides& o) {
  json r = {{"devices", default_device_rules()}};
  if (o.memory_limit_bytes) {
    if (*o.memory_limit_bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return Status(Code::kInvalidArgument,
                    "memory limit " + std::to_string(*o.memory_limit_bytes) + " is too large");
    r["memory"] = {{"limit", static_cast<int64_t>(*o.memory_limit_bytes)}};
  }
  if (o.cpus) {
    // ctr's arithmetic: the quota is cpus periods' worth of time per period.
    if (!(*o.cpus > 0) || !std::isfinite(*o.cpus) || *o.cpus > 1e6)
      return Status(Code::kInvalidArgument,
                    "cpus " + std::to_string(*o.cpus) + " is not a positive fraction");
    const auto quota = static_cast<int64_t>(*o.cpus * static_cast<double>(kCfsPeriod));
    if (quota < 1000)
      return Status(Code::kInvalidArgument, "cpus " + std::to_string(*o.cpus) + " is below 0.01");
    r["cpu"] = {{"quota", quota}, {"period", kCfsPeriod}};
  }
  return r;
}

}  // namespace

Result<json> make_spec(const SpecInput& in) {
  if (in.id.empty()) return Status(Code::kInvalidArgument, "a container spec needs an id");
  if (in.namespace_name.empty())
    return Status(Code::kInvalidArgument, "container " + in.id + " needs a namespace");
  const SpecOverrides& o = in.overrides;

  std::vector<std::string> args = in.image.entrypoint;
  const auto& cmd = o.args.empty() ? in.image.cmd : o.args;
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty())
    return Status(Code::kInvalidArgument,
                  "container " + in.id +
                      " has nothing to run: the image has no Entrypoint or Cmd and no args were given");

  auto env = merge_env(in.image.env, o.env);
  if (!env.ok()) return env.status();

  std::string cwd = o.cwd.value_or(in.image.working_dir);
  if (cwd.empty()) cwd = "/";
  if (cwd.front() != '/') return Status(Code::kInvalidArgument, "cwd \"" + cwd + "\" is not absolute");

  auto user = resolve_user(o.user.value_or(in.image.user), in.rootfs);
  if (!user.ok()) return user.status();

  auto res = resources(o);
  if (!res.ok()) return res.status();

  json mounts = default_mounts();
  for (const SpecMount& m : o.mounts) {
    if (m.destination.empty() || m.destination.front() != '/')
      return Status(Code::kInvalidArgument, "mount destination \"" + m.destination + "\" is not absolute");
    if (m.type.empty()) return Status(Code::kInvalidArgument, "mount on " + m.destination + " has no type");
    mounts.push_back(
        {{"destination", m.destination}, {"type", m.type}, {"source", m.source}, {"options", m.options}});
  }

  json spec;
  spec["ociVersion"] = kOciVersion;
  spec["process"] = {
      {"terminal", o.terminal},
      {"user", {{"uid", user->uid}, {"gid", user->gid}, {"additionalGids", user->additional_gids}}},
      {"args", args},
      {"env", *env},
      {"cwd", cwd},
      {"capabilities", default_capabilities()},
      {"rlimits", default_rlimits()},
      {"noNewPrivileges", true},
  };
  spec["root"] = {{"path", "rootfs"}, {"readonly", o.readonly_rootfs}};
  spec["hostname"] = in.id;
  spec["mounts"] = std::move(mounts);
  spec["linux"] = {
      {"resources", std::move(*res)},
      {"cgroupsPath", "/" + in.namespace_name + "/" + in.id},
      {"namespaces", namespaces(o.host_network)},
      {"maskedPaths", default_masked_paths()},
      {"readonlyPaths", default_readonly_paths()},
  };
  return spec;
}

}  // namespace berth::runtime_spec
