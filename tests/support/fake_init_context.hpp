// A berth::InitContext for initialising one plugin outside berthd: no other
// plugins, and the exports it sets are kept for the test to inspect.
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
  [[nodiscard]] Result<std::shared_ptr<Instance>> get(std::string_view, std::string_view) const override {
    return not_found("no plugins in this test");
  }
  [[nodiscard]] std::vector<std::shared_ptr<Instance>> get_all(std::string_view) const override { return {}; }
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
};

}  // namespace berth::test
