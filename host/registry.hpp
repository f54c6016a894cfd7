// The shared registry: every plugin the daemon knows of, its state, and the
// instances of those that initialised. Introspection reads it through the
// SDK's PluginSet; plugins look each other up through their InitContext.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "berth/init_context.hpp"
#include "berth/instance.hpp"
#include "berth/plugin_info.hpp"

namespace berth::host {

class Registry final : public PluginSet {
 public:
  // Adds a plugin whose init is about to run (state initialising), in init
  // order; returns its index.
  std::size_t add(PluginInfo info);
  void set_ok(std::size_t index, std::shared_ptr<Instance> instance);
  void set_failed(std::size_t index, PluginState state, Status why);
  void set_export(std::size_t index, std::string key, std::string value);
  void add_capability(std::size_t index, std::string capability);
  void add_platform(std::size_t index, Platform platform);

  [[nodiscard]] std::vector<PluginInfo> list() const override;
  [[nodiscard]] PluginInfo info(std::size_t index) const;

  [[nodiscard]] Result<std::shared_ptr<Instance>> get(std::string_view type, std::string_view id) const;
  // The initialised plugins of `type`, in init order, with their ids.
  [[nodiscard]] std::vector<Registered<Instance>> get_all(std::string_view type) const;
  // Every initialised instance, in init order, with its plugin's type and id.
  struct Initialised {
    std::string type;
    std::string id;
    std::shared_ptr<Instance> instance;
  };
  [[nodiscard]] std::vector<Initialised> instances() const;

  // Closes instances in reverse init order and drops the registry's
  // references. Returns the first error; every plugin is closed regardless.
  Status close_all();

 private:
  struct Record {
    PluginInfo info;
    std::shared_ptr<Instance> instance;
  };
  mutable std::mutex mu_;
  std::vector<Record> records_;
  std::vector<std::size_t> init_order_;
};

}  // namespace berth::host
