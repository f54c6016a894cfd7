// A berth::InitContext for initialising one plugin outside berthd: it sees
// only the instances the test offers, and keeps the exports it sets for the
// test to inspect.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/init_context.hpp"

namespace berth::test {

class FakeInitContext : public InitContext {
 public:
  // `state` is a sibling "state" directory of `root`.
  FakeInitContext(std::string type, std::string id, std::filesystem::path root, std::string config)
      : type_(std::move(type)),
        id_(std::move(id)),
        root_(std::move(root)),
        state_(root_.parent_path() / "state"),
        config_(std::move(config)) {}

  [[nodiscard]] const std::string& type() const override { return type_; }
  [[nodiscard]] const std::string& id() const override { return id_; }
  [[nodiscard]] const std::filesystem::path& root() const override { return root_; }
  [[nodiscard]] const std::filesystem::path& state() const override { return state_; }
  [[nodiscard]] const std::string& config_toml() const override { return config_; }
  [[nodiscard]] const std::string& grpc_address() const override { return address_; }
  // Makes `instance` visible as the initialised plugin `type`.`id`, after
  // those offered before it.
  void offer(std::string type, std::string id, std::shared_ptr<Instance> instance) {
    offered_.push_back({std::move(type), {std::move(id), std::move(instance)}});
  }

  [[nodiscard]] Result<std::shared_ptr<Instance>> get(std::string_view type,
                                                      std::string_view id) const override {
    for (const auto& [t, found] : offered_) {
      if (t == type && found.id == id) return found.instance;
    }
    return not_found("plugin " + std::string(type) + "." + std::string(id) + " is not offered by this test");
  }
  [[nodiscard]] std::vector<Registered<Instance>> get_all(std::string_view type) const override {
    std::vector<Registered<Instance>> out;
    for (const auto& [t, found] : offered_) {
      if (t == type) out.push_back(found);
    }
    return out;
  }
  void set_export(std::string key, std::string value) override { exports[std::move(key)] = std::move(value); }
  void add_capability(std::string) override {}
  void add_platform(Platform p) override { platforms.push_back(std::move(p)); }
  // No other plugin is known (subclasses that offer some may override).
  [[nodiscard]] std::shared_ptr<const PluginSet> plugins() const override {
    struct Empty final : PluginSet {
      [[nodiscard]] std::vector<PluginInfo> list() const override { return {}; }
    };
    return std::make_shared<Empty>();
  }

  std::map<std::string, std::string> exports;
  std::vector<Platform> platforms;

 private:
  std::string type_;
  std::string id_;
  std::filesystem::path root_;
  std::filesystem::path state_;
  std::string config_;
  std::string address_ = "/run/berth/berth.sock";
  std::vector<std::pair<std::string, Registered<Instance>>> offered_;  // (type, plugin)
};

}  // namespace berth::test
