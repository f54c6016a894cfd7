// io.containerd.runtime.v2.task: tasks through shim v2 (task_manager.hpp).
// Its state directory holds the bundles, <state>/<ns>/<id>, and the shims'
// sockets; its root the shims' work directories.
#include "berth/plugin.hpp"

#include <filesystem>
#include <memory>
#include <string>

#include "berth/events.hpp"
#include "berth/tasks.hpp"
#include "runtime_config.hpp"
#include "task_manager.hpp"

namespace {

berth::InitResult init(berth::InitContext& ctx) {
  auto config = berth::runtime_runc::parse_runtime_config(ctx);
  if (!config.ok()) return config.status();
  berth::runtime_runc::ManagerOptions options;
  options.state = ctx.state();
  options.root = ctx.root();
  options.config = std::move(config).value();
  std::error_code ec;
  // The daemon's own binary: shims named by bare name are looked for beside
  // it, and it is the -publish-binary they are given.
  options.daemon.self = std::filesystem::read_symlink("/proc/self/exe", ec);
  // Shims are given socket paths, as containerd gives them.
  std::string address = ctx.grpc_address();
  if (address.starts_with("unix://")) address.erase(0, 7);
  options.daemon.grpc = address;
  // berthd serves containerd's ttrpc events service here (host/ttrpc_server).
  options.daemon.ttrpc = address + ".ttrpc";
  if (auto events = ctx.first_of<berth::EventPublisher>(berth::kEventPluginType); events.ok())
    options.events = std::move(events).value();
  ctx.set_export("state", ctx.state().string());
  auto manager = berth::runtime_runc::TaskManager::open(std::move(options));
  if (!manager.ok()) return manager.status();
  ctx.add_platform(berth::host_platform());
  return std::shared_ptr<berth::Instance>(std::move(manager).value());
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{.type = std::string(berth::kRuntimePluginType),
                                .id = "task",
                                .requires_types = {std::string(berth::kEventPluginType)},
                                .default_config = berth::runtime_runc::kDefaultRuntimeConfig,
                                .init = init});
