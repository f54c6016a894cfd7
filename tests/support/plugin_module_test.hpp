// A fixture for testing a built plugin module, loaded the way berthd loads it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "berth/plugin.hpp"
#include "fake_init_context.hpp"
#include "temp_dir.hpp"

namespace berth::test {

// SetUp dlopens `module`, checks its ABI and finds the plugin `type`.`id` in
// it (a module may declare several); root_ is "<type>.<id>" in a fresh
// temporary directory, created.
class PluginModuleTest : public ::testing::Test {
 protected:
  PluginModuleTest(std::string module, std::string type, std::string id)
      : module_(std::move(module)), type_(std::move(type)), id_(std::move(id)) {}

  void SetUp() override;
  void TearDown() override;

  [[nodiscard]] const berth_plugin_descriptor& plugin() const { return *plugin_; }
  InitResult init(InitContext& ctx) const { return plugin().invoke(plugin().init, ctx); }
  // A context for this plugin with the given root and configuration.
  [[nodiscard]] FakeInitContext context(std::filesystem::path root, std::string config) const {
    return {type_, id_, std::move(root), std::move(config)};
  }

  TempDir dir_;
  std::filesystem::path root_;
  void* handle_ = nullptr;
  const berth_plugin_table* table_ = nullptr;
  const berth_plugin_descriptor* plugin_ = nullptr;

 private:
  std::string module_;
  std::string type_;
  std::string id_;
};

}  // namespace berth::test
