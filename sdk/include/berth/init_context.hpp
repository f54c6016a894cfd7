// What the host gives a plugin's init: its directories, its configuration and
// the registry of plugins initialised before it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/instance.hpp"
#include "berth/plugin_info.hpp"
#include "berth/status.hpp"

namespace berth {

// An initialised plugin found by a lookup: its id (unique within its type,
// "overlayfs") and its instance, seen as interface I.
template <class I>
struct Registered {
  std::string id;
  std::shared_ptr<I> instance;
};

// Owned by the host; valid only during the init call. Objects obtained from it
// (instances, the plugin set) stay valid until shutdown.
class InitContext {
 public:
  virtual ~InitContext();

  [[nodiscard]] virtual const std::string& type() const = 0;
  [[nodiscard]] virtual const std::string& id() const = 0;

  // <root>/<type>.<id> and <state>/<type>.<id>, created 0700 by the host.
  // Persistent data goes under root(); runtime data (sockets, mounts) under state().
  [[nodiscard]] virtual const std::filesystem::path& root() const = 0;
  [[nodiscard]] virtual const std::filesystem::path& state() const = 0;

  // The plugin's effective configuration: its declared defaults overlaid with
  // [plugins."<type>.<id>"] from config.toml, as TOML text (parse with
  // berth::parse_plugin_config in berth/config.hpp).
  [[nodiscard]] virtual const std::string& config_toml() const = 0;

  // The daemon's gRPC socket address, for plugins that must hand it out.
  [[nodiscard]] virtual const std::string& grpc_address() const = 0;

  // Registry lookups. Only plugins already initialised are visible, which the
  // dependency graph guarantees for everything named in `requires`.
  [[nodiscard]] virtual Result<std::shared_ptr<Instance>> get(std::string_view type,
                                                              std::string_view id) const = 0;
  // Every initialised plugin of `type`, in init order, with its id.
  [[nodiscard]] virtual std::vector<Registered<Instance>> get_all(std::string_view type) const = 0;

  // Key/value pairs shown by introspection (`ctr plugins ls -d`), e.g. a root path.
  virtual void set_export(std::string key, std::string value) = 0;
  virtual void add_capability(std::string capability) = 0;

  // Every plugin the daemon knows of, with its state; live for the daemon's life.
  [[nodiscard]] virtual std::shared_ptr<const PluginSet> plugins() const = 0;

  // A platform the plugin serves, shown by introspection (containerd lists
  // the host's for snapshotters, differs and runtimes). See host_platform().
  virtual void add_platform(Platform platform) = 0;

  // Typed lookups, by interface: `type` names where to look (its plugins are
  // initialised first when the caller requires that type), I what to find.
  // get_as: the plugin `type`.`id`, which must offer I.
  template <class I>
  [[nodiscard]] Result<std::shared_ptr<I>> get_as(std::string_view type, std::string_view id) const {
    auto inst = get(type, id);
    if (!inst.ok()) return inst.status();
    auto typed = std::dynamic_pointer_cast<I>(*inst);
    if (!typed)
      return failed_precondition(std::string(type) + "." + std::string(id) +
                                 " does not offer the expected interface");
    return typed;
  }
  // first_of: the first initialised plugin of `type` that offers I.
  template <class I>
  [[nodiscard]] Result<std::shared_ptr<I>> first_of(std::string_view type) const {
    for (auto& found : get_all(type)) {
      if (auto typed = std::dynamic_pointer_cast<I>(found.instance)) return typed;
    }
    return not_found("no plugin of type " + std::string(type) + " offering the expected interface is loaded");
  }
  // all_of: every initialised plugin of `type` that offers I, in init order,
  // with its id.
  template <class I>
  [[nodiscard]] std::vector<Registered<I>> all_of(std::string_view type) const {
    std::vector<Registered<I>> out;
    for (auto& found : get_all(type)) {
      if (auto typed = std::dynamic_pointer_cast<I>(found.instance))
        out.push_back({std::move(found.id), std::move(typed)});
    }
    return out;
  }
};

}  // namespace berth
