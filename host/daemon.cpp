#include "daemon.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "files/fd_io.hpp"
#include "init_context.hpp"
#include "plugin_config.hpp"
#include "plugin_graph.hpp"

namespace berth::host {
namespace {

Status make_dir(const std::filesystem::path& dir, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return errno_status("create " + dir.string(), ec.value());
  if (::chmod(dir.c_str(), mode) != 0) return errno_status("chmod " + dir.string(), errno);
  return {};
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// As containerd: a score the kernel refuses (lowering it needs
// CAP_SYS_RESOURCE, which a container may lack) is logged, not fatal.
Status apply_oom_score(int64_t score) {
  if (score == 0) return {};
  if (score < -1000 || score > 1000) {
    return invalid_argument("oom_score " + std::to_string(score) + " is outside -1000..1000");
  }
  const std::filesystem::path path = "/proc/self/oom_score_adj";
  auto fd = files::open_file(path, O_WRONLY);
  Status st = fd.ok() ? files::write_all(fd->get(), std::to_string(score), path) : fd.status();
  if (!st.ok()) spdlog::error("cannot set oom_score {}: {}", score, st.message());
  return {};
}

// The instances offering interface I whose plugin is of type kGrpcPluginType;
// the others are named in `warnings`.
template <class I>
std::vector<I*> served_by_api_plugins(const Registry& registry, std::string_view what, Warnings& warnings) {
  std::vector<I*> services;
  for (const auto& [type, id, instance] : registry.instances()) {
    auto* service = dynamic_cast<I*>(instance.get());
    if (service == nullptr) continue;
    if (type == kGrpcPluginType) {
      services.push_back(service);
    } else {
      warnings.push_back("plugin " + type + "." + id + " offers " + std::string(what) +
                         " services but its type is " + type + ", not " + std::string(kGrpcPluginType) +
                         ": its services are not registered");
    }
  }
  return services;
}

}  // namespace

std::vector<std::filesystem::path> plugin_search_path(const DaemonConfig& config,
                                                      const std::filesystem::path& builtin_dir) {
  std::vector<std::filesystem::path> dirs{builtin_dir};
  for (const auto& d : config.plugin_dirs) dirs.emplace_back(d);
  return dirs;
}

std::vector<GrpcService*> grpc_services(const Registry& registry, Warnings& warnings) {
  return served_by_api_plugins<GrpcService>(registry, "gRPC", warnings);
}

std::vector<TtrpcService*> ttrpc_services(const Registry& registry, Warnings& warnings) {
  return served_by_api_plugins<TtrpcService>(registry, "ttrpc", warnings);
}

std::shared_ptr<MetricsSink> metrics_sink(const Registry& registry) {
  for (const auto& [type, id, instance] : registry.instances()) {
    if (type != kMetricsPluginType) continue;
    if (auto sink = std::dynamic_pointer_cast<MetricsSink>(instance)) return sink;
  }
  return nullptr;
}

std::vector<NamedSource> metrics_sources(const Registry& registry) {
  std::vector<NamedSource> sources;
  for (const auto& [type, id, instance] : registry.instances()) {
    if (auto source = std::dynamic_pointer_cast<MetricsSource>(instance))
      sources.push_back({type + "." + id, std::move(source)});
  }
  return sources;
}

Daemon::Daemon(DaemonConfig config, std::filesystem::path builtin_plugin_dir)
    : config_(std::move(config)), builtin_dir_(std::move(builtin_plugin_dir)) {}

Daemon::~Daemon() { (void)shutdown(); }

Status Daemon::prepare_directories() {
  // Root may be read by tools (0711, as containerd); state holds sockets.
  BERTH_RETURN_IF_ERROR(make_dir(config_.root, 0711));
  BERTH_RETURN_IF_ERROR(make_dir(config_.state, 0711));
  return {};
}

Status Daemon::start() {
  BERTH_RETURN_IF_ERROR(prepare_directories());
  BERTH_RETURN_IF_ERROR(apply_oom_score(config_.oom_score));

  // Pre-flight verdicts live in the state directory: they are about this
  // boot's files and berthd binary, and a lost file only costs a re-check.
  // The built-in directory is not pre-flighted: its plugins come with
  // berthd, and loading each of them a second time in a child cost every
  // first start more than the rest of the plugin loading (README, "Plugin
  // loading"). Its files are still checked before dlopen().
  PluginLoader loader({.preflight_cache = std::filesystem::path(config_.state) / "plugin-preflight.toml",
                       .trusted_dir = builtin_dir_});
  auto plugins = loader.discover(plugin_search_path(config_, builtin_dir_), load_problems_);
  for (const auto& p : load_problems_) spdlog::warn("{}", p);
  const auto& pf = loader.preflight_stats();
  if (pf.checked > 0) {
    spdlog::info(
        "pre-flight: {} new plugin files loaded in {} child processes ({} ms waited for them); {} known "
        "from before; {} built-in",
        pf.checked, pf.children, pf.waited.count() / 1000, pf.remembered, pf.trusted);
  } else {
    spdlog::debug("pre-flight: all {} plugin files outside the built-in directory known; {} built-in",
                  pf.remembered, pf.trusted);
  }

  Warnings warnings;
  BERTH_RETURN_IF_ERROR(check_plugin_sections(config_, plugins, warnings));
  for (const auto& w : warnings) spdlog::warn("{}", w);

  init_plugins(plugins);
  BERTH_RETURN_IF_ERROR(check_required());

  Warnings not_served;
  std::vector<GrpcService*> services = grpc_services(*registry_, not_served);
  std::vector<TtrpcService*> ttrpc = ttrpc_services(*registry_, not_served);
  for (const auto& w : not_served) spdlog::warn("{}", w);
  BERTH_RETURN_IF_ERROR(start_metrics());
  // ttrpc first: once the gRPC socket answers, clients (and tests) take
  // berthd for ready, TTRPC_ADDRESS included.
  auto ttrpc_server = TtrpcServer::start(ttrpc_socket_path(config_.grpc), ttrpc);
  if (!ttrpc_server.ok()) return ttrpc_server.status();
  ttrpc_ = std::move(*ttrpc_server);
  auto server = GrpcServer::start(config_.grpc, services,
                                  {.sink = metrics_, .histogram = config_.metrics_grpc_histogram});
  if (!server.ok()) return server.status();
  server_ = std::move(*server);
  spdlog::info("berthd ready: {} plugins, {} gRPC service plugins", registry_->list().size(),
               services.size());
  return {};
}

void Daemon::init_plugins(const std::vector<PluginDescriptor>& all) {
  std::vector<const PluginDescriptor*> enabled;
  for (const auto& p : all) {
    // As containerd: a disabled plugin is not registered, so introspection
    // (`ctr plugins ls`) does not list it.
    if (contains(config_.disabled_plugins, p.key())) {
      spdlog::info("plugin {} disabled by config", p.key());
      continue;
    }
    enabled.push_back(&p);
  }
  std::vector<GraphNode> nodes;
  for (const auto* p : enabled) nodes.push_back({p->type, p->id, p->requires_types});
  GraphOrder graph = resolve_graph(nodes);

  auto info_of = [](const PluginDescriptor& p) {
    PluginInfo info;
    info.type = p.type;
    info.id = p.id;
    info.requires_types = p.requires_types;
    info.library = p.library;
    return info;
  };
  for (std::size_t i : graph.order) init_one(registry_->add(info_of(*enabled[i])), *enabled[i]);
  for (const auto& [i, why] : graph.refused) {
    spdlog::error("plugin {} not loaded: {}", enabled[i]->key(), why.message());
    registry_->set_failed(registry_->add(info_of(*enabled[i])), PluginState::kError, why);
  }
}

void Daemon::init_one(std::size_t index, const PluginDescriptor& plugin) {
  const std::string key = plugin.key();
  auto fail = [&](PluginState state, const Status& why) {
    if (state == PluginState::kSkip) {
      spdlog::info("skip plugin {}: {}", key, why.message());
    } else {
      spdlog::warn("failed to load plugin {}: {}", key, why.message());
    }
    registry_->set_failed(index, state, why);
  };
  if (!plugin.defaults_status.ok()) return fail(PluginState::kError, plugin.defaults_status);

  const auto root = std::filesystem::path(config_.root) / key;
  const auto state = std::filesystem::path(config_.state) / key;
  for (const auto& dir : {root, state}) {
    if (Status s = make_dir(dir, 0700); !s.ok()) return fail(PluginState::kError, s);
  }
  HostInitContext ctx(registry_, index, plugin.type, plugin.id, root, state,
                      to_text(effective_plugin_config(config_, plugin)), config_.grpc.address);
  spdlog::debug("initialising plugin {}", key);
  // invoke is the SDK's invoke_init, compiled into the plugin: it catches
  // whatever init throws, and is noexcept, so nothing can be caught here.
  InitResult result = plugin.invoke(plugin.init, ctx);
  if (!result.ok()) {
    return fail(result.status().is_skip() ? PluginState::kSkip : PluginState::kError, result.status());
  }
  if (*result == nullptr) return fail(PluginState::kError, internal("init returned no instance"));
  registry_->set_ok(index, std::move(*result));
}

Status Daemon::start_metrics() {
  if (config_.metrics_address.empty()) return {};
  auto sink = metrics_sink(*registry_);
  if (!sink) {
    spdlog::warn("[metrics] address is {} but no {} plugin is loaded: no metrics are served",
                 config_.metrics_address, kMetricsPluginType);
    return {};
  }
  sink->set_sources(metrics_sources(*registry_));
  BERTH_RETURN_IF_ERROR(sink->serve(config_.metrics_address));
  metrics_ = std::move(sink);
  return {};
}

Status Daemon::check_required() const {
  auto list = registry_->list();
  for (const auto& key : config_.required_plugins) {
    auto it = std::find_if(list.begin(), list.end(), [&](const PluginInfo& p) { return p.key() == key; });
    if (it == list.end()) {
      std::string why = "required plugin " + key + " is not installed or is disabled";
      // It may be in a file that was left out: say which were.
      for (std::size_t i = 0; i < load_problems_.size(); ++i)
        why += (i == 0 ? " (plugin files and directories left out: " : "; ") + load_problems_[i];
      return failed_precondition(why + (load_problems_.empty() ? "" : ")"));
    }
    if (it->state != PluginState::kOk) {
      return failed_precondition("required plugin " + key + " did not load: " + it->error.message());
    }
  }
  return {};
}

Status Daemon::shutdown() {
  if (closed_) return {};
  closed_ = true;
  // Both servers stop before any plugin closes: their handlers call into
  // plugins. ttrpc first, the reverse of start.
  if (ttrpc_) {
    ttrpc_->shutdown();
    ttrpc_.reset();
  }
  if (server_) {
    server_->shutdown();
    server_.reset();
  }
  // No scrape may reach a plugin once plugins begin to close.
  if (metrics_) {
    metrics_->set_sources({});
    metrics_.reset();
  }
  return registry_->close_all();
}

}  // namespace berth::host
