// The built plugin module, loaded the way berthd loads it.
#include "berth/plugin.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <map>
#include <memory>
#include <string>

#include "../temp_dir.hpp"
#include "berth/init_context.hpp"
#include "berth/metadata.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"

namespace berth::metadata {
namespace {

using berth::test::TempDir;

class FakeContext final : public InitContext {
 public:
  FakeContext(std::filesystem::path root, std::string config)
      : root_(std::move(root)), state_(root_.parent_path() / "state"), config_(std::move(config)) {}

  [[nodiscard]] const std::string& type() const override { return type_; }
  [[nodiscard]] const std::string& id() const override { return id_; }
  [[nodiscard]] const std::filesystem::path& root() const override { return root_; }
  [[nodiscard]] const std::filesystem::path& state() const override { return state_; }
  [[nodiscard]] const std::string& config_toml() const override { return config_; }
  [[nodiscard]] const std::string& grpc_address() const override { return address_; }
  [[nodiscard]] Result<std::shared_ptr<Instance>> get(std::string_view type,
                                                      std::string_view id) const override {
    return not_found("no plugins in this test");
  }
  [[nodiscard]] std::vector<std::shared_ptr<Instance>> get_all(std::string_view) const override { return {}; }
  void set_export(std::string key, std::string value) override { exports[std::move(key)] = std::move(value); }
  void add_capability(std::string) override {}
  [[nodiscard]] std::shared_ptr<const PluginSet> plugins() const override { return nullptr; }

  std::map<std::string, std::string> exports;

 private:
  std::string type_ = "io.containerd.metadata.v1";
  std::string id_ = "rocksdb";
  std::filesystem::path root_;
  std::filesystem::path state_;
  std::string config_;
  std::string address_ = "/run/berth/berth.sock";
};

class MetadataPlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = dlopen(BERTH_METADATA_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    auto entry = reinterpret_cast<berth_plugin_entry_fn>(dlsym(handle_, BERTH_PLUGIN_ENTRY_SYMBOL));
    ASSERT_NE(entry, nullptr) << dlerror();
    table_ = entry();
    ASSERT_NE(table_, nullptr);
    ASSERT_EQ(table_->abi_version, BERTH_PLUGIN_ABI_VERSION);
    ASSERT_EQ(table_->count, 1u);
    root_ = dir_.path() / "io.containerd.metadata.v1.rocksdb";
    std::filesystem::create_directories(root_);
  }
  void TearDown() override {
    if (handle_ != nullptr) dlclose(handle_);
  }

  [[nodiscard]] const berth_plugin_descriptor& plugin() const { return table_->plugins[0]; }
  InitResult init(FakeContext& ctx) const { return plugin().invoke(plugin().init, ctx); }

  TempDir dir_;
  std::filesystem::path root_;
  void* handle_ = nullptr;
  const berth_plugin_table* table_ = nullptr;
};

TEST_F(MetadataPlugin, DescribesItselfAsContainerdsMetadataPlugin) {
  EXPECT_STREQ(plugin().type, "io.containerd.metadata.v1");
  EXPECT_STREQ(plugin().id, "rocksdb");
  EXPECT_EQ(plugin().requires_types[0], nullptr);
  auto config = toml::parse(plugin().default_config);
  EXPECT_EQ(config["sync_writes"].value<bool>(), true);
}

TEST_F(MetadataPlugin, InitOpensTheDatabaseUnderItsRoot) {
  FakeContext ctx(root_, plugin().default_config);
  {
    InitResult inst = init(ctx);
    ASSERT_TRUE(inst.ok()) << inst.status().to_string();
    EXPECT_EQ(ctx.exports["path"], (root_ / "meta.db").string());
    auto md = std::dynamic_pointer_cast<Metadata>(*inst);
    ASSERT_NE(md, nullptr);
    ASSERT_OK(md->update([&](Transaction& tx) { return md->namespaces().create(tx, {"default", {}}); }));
    ASSERT_OK((*inst)->close());
  }
  auto reopened = RocksMetadata::open(root_ / "meta.db", {});
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  ASSERT_OK((*reopened)->view(
      [&](Transaction& tx) { return (*reopened)->namespaces().get(tx, "default").status(); }));
}

TEST_F(MetadataPlugin, InitFailsNamingThePathWhenTheDatabaseIsHeld) {
  auto holder = RocksMetadata::open(root_ / "meta.db", {});
  ASSERT_TRUE(holder.ok()) << holder.status().to_string();
  FakeContext ctx(root_, plugin().default_config);
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Code::kUnavailable) << inst.status().to_string();
  EXPECT_NE(inst.status().message().find((root_ / "meta.db").string()), std::string::npos)
      << inst.status().message();
  EXPECT_TRUE(ctx.exports.empty());
}

TEST_F(MetadataPlugin, InitRejectsAWronglyTypedOption) {
  FakeContext ctx(root_, "sync_writes = \"yes\"\n");
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Code::kInvalidArgument) << inst.status().to_string();
  EXPECT_NE(inst.status().message().find("sync_writes"), std::string::npos);
}

TEST_F(MetadataPlugin, InitAcceptsSyncWritesOff) {
  FakeContext ctx(root_, "sync_writes = false\n");
  InitResult inst = init(ctx);
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  ASSERT_OK((*inst)->close());
}

}  // namespace
}  // namespace berth::metadata
