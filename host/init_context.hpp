// The host's InitContext: one per plugin init call.
#pragma once

#include <memory>
#include <string>

#include "berth/init_context.hpp"
#include "registry.hpp"

namespace berth::host {

class HostInitContext final : public InitContext {
 public:
  HostInitContext(std::shared_ptr<Registry> registry, std::size_t index, std::string type, std::string id,
                  std::filesystem::path root, std::filesystem::path state, std::string config,
                  std::string address)
      : registry_(std::move(registry)),
        index_(index),
        type_(std::move(type)),
        id_(std::move(id)),
        root_(std::move(root)),
        state_(std::move(state)),
        config_(std::move(config)),
        address_(std::move(address)) {}

  const std::string& type() const override { return type_; }
  const std::string& id() const override { return id_; }
  const std::filesystem::path& root() const override { return root_; }
  const std::filesystem::path& state() const override { return state_; }
  const std::string& config_toml() const override { return config_; }
  const std::string& grpc_address() const override { return address_; }

  Result<std::shared_ptr<Instance>> get(std::string_view type, std::string_view id) const override {
    return registry_->get(type, id);
  }
  std::vector<Registered<Instance>> get_all(std::string_view type) const override {
    return registry_->get_all(type);
  }
  void set_export(std::string key, std::string value) override {
    registry_->set_export(index_, std::move(key), std::move(value));
  }
  void add_platform(Platform platform) override { registry_->add_platform(index_, std::move(platform)); }
  void add_capability(std::string capability) override {
    registry_->add_capability(index_, std::move(capability));
  }
  std::shared_ptr<const PluginSet> plugins() const override { return registry_; }

 private:
  std::shared_ptr<Registry> registry_;
  std::size_t index_;
  std::string type_, id_;
  std::filesystem::path root_, state_;
  std::string config_, address_;
};

}  // namespace berth::host
