// berthd's life: load plugins, initialise them in dependency order, serve
// gRPC (and ttrpc for shims), and shut down in reverse order.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "berth/metrics.hpp"
#include "berth/status.hpp"
#include "config.hpp"
#include "grpc_server.hpp"
#include "plugin_loader.hpp"
#include "registry.hpp"
#include "ttrpc_server.hpp"

namespace berth::host {

// Built-in plugin directory first, then the config's plugin_dirs.
std::vector<std::filesystem::path> plugin_search_path(const DaemonConfig& config,
                                                      const std::filesystem::path& builtin_dir);

// The gRPC services berthd serves: the instances of the initialised plugins
// of type kGrpcPluginType ("io.containerd.grpc.v1") that offer GrpcService,
// in init order. A plugin of any other type offering GrpcService is not
// served (a backend has no business on the wire API; its services would
// appear or vanish with a backend's config); `warnings` names it.
std::vector<GrpcService*> grpc_services(const Registry& registry, Warnings& warnings);

// The ttrpc services berthd serves, chosen by the same rule: plugins of type
// kGrpcPluginType offering TtrpcService, in init order; others are named in
// `warnings`.
std::vector<TtrpcService*> ttrpc_services(const Registry& registry, Warnings& warnings);

// The metrics plugin's sink: the first initialised plugin of type
// kMetricsPluginType offering MetricsSink; null when none is loaded.
std::shared_ptr<MetricsSink> metrics_sink(const Registry& registry);

// Every initialised plugin offering MetricsSource, in init order, named by
// its type.id.
std::vector<NamedSource> metrics_sources(const Registry& registry);

class Daemon {
 public:
  Daemon(DaemonConfig config, std::filesystem::path builtin_plugin_dir);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Everything up to listening. An error here is fatal for the daemon: bad
  // plugin config, a required plugin not ok, a socket already served. A
  // plugin file that cannot be loaded is not: it is logged and left out.
  Status start();
  // Stop serving, close plugins in reverse init order. Idempotent.
  Status shutdown();

  [[nodiscard]] const Registry& registry() const { return *registry_; }

 private:
  Status prepare_directories();
  void init_plugins(const std::vector<PluginDescriptor>& plugins);
  void init_one(std::size_t index, const PluginDescriptor& plugin);
  Status check_required() const;
  // Hands the plugins' figures to the metrics plugin and serves them when
  // [metrics] address is set. Sets metrics_.
  Status start_metrics();

  DaemonConfig config_;
  std::filesystem::path builtin_dir_;
  std::vector<std::string> load_problems_;  // plugin directories and files left out
  std::shared_ptr<Registry> registry_ = std::make_shared<Registry>();
  std::unique_ptr<TtrpcServer> ttrpc_;  // null when no plugin serves ttrpc
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<MetricsSink> metrics_;  // set while /v1/metrics is served
  bool closed_ = false;
};

}  // namespace berth::host
