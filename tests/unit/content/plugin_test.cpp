// The built content-local.so, loaded the way berthd loads it.
#include "berth/plugin.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "../temp_dir.hpp"
#include "berth/content_store.hpp"
#include "berth/init_context.hpp"
#include "test_util.hpp"

namespace berth::content {
namespace {

using berth::test::TempDir;
using namespace berth::content::test;

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
  [[nodiscard]] Result<std::shared_ptr<Instance>> get(std::string_view, std::string_view) const override {
    return not_found("no plugins in this test");
  }
  [[nodiscard]] std::vector<std::shared_ptr<Instance>> get_all(std::string_view) const override { return {}; }
  void set_export(std::string key, std::string value) override { exports[std::move(key)] = std::move(value); }
  void add_capability(std::string) override {}
  [[nodiscard]] std::shared_ptr<const PluginSet> plugins() const override { return nullptr; }

  std::map<std::string, std::string> exports;

 private:
  std::string type_ = "io.containerd.content.v1";
  std::string id_ = "content";
  std::filesystem::path root_;
  std::filesystem::path state_;
  std::string config_;
  std::string address_ = "/run/berth/berth.sock";
};

class ContentPlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = dlopen(BERTH_CONTENT_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << dlerror();
    auto entry = reinterpret_cast<berth_plugin_entry_fn>(dlsym(handle_, BERTH_PLUGIN_ENTRY_SYMBOL));
    ASSERT_NE(entry, nullptr) << dlerror();
    table_ = entry();
    ASSERT_NE(table_, nullptr);
    ASSERT_EQ(table_->abi_version, BERTH_PLUGIN_ABI_VERSION);
    ASSERT_EQ(table_->count, 1u);
    root_ = dir_.path() / "io.containerd.content.v1.content";
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

TEST_F(ContentPlugin, DescribesItselfAsContainerdsContentPlugin) {
  EXPECT_STREQ(plugin().type, "io.containerd.content.v1");
  EXPECT_STREQ(plugin().id, "content");
  EXPECT_EQ(plugin().requires_types[0], nullptr);
  EXPECT_STREQ(plugin().default_config, "");
}

TEST_F(ContentPlugin, InitOffersAContentStoreUnderItsRoot) {
  FakeContext ctx(root_, plugin().default_config);
  std::string digest;
  {
    InitResult inst = init(ctx);
    ASSERT_TRUE(inst.ok()) << inst.status().to_string();
    EXPECT_EQ(ctx.exports["root"], root_.string());
    auto store = std::dynamic_pointer_cast<ContentStore>(*inst);
    ASSERT_NE(store, nullptr);
    auto d = put_blob(*store, "via-plugin", "plugin bytes");
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    digest = *d;
    ASSERT_OK((*inst)->close());
  }
  EXPECT_TRUE(std::filesystem::is_regular_file(root_ / "blobs" / "sha256" / digest.substr(7)));
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "ingest"));
}

TEST_F(ContentPlugin, InitToleratesUnknownKeysButNotBrokenToml) {
  {
    FakeContext ctx(root_, "fsync = false\n");
    InitResult inst = init(ctx);
    EXPECT_TRUE(inst.ok()) << inst.status().to_string();
  }
  FakeContext ctx(root_, "fsync = \n");
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Code::kInvalidArgument) << inst.status().to_string();
}

TEST_F(ContentPlugin, InitFailsNamingTheRootWhenItCannotBeUsed) {
  const auto file = dir_.path() / "not-a-dir";
  std::ofstream(file) << "x";
  FakeContext ctx(file, plugin().default_config);
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.status().message().find(file.string()), std::string::npos) << inst.status().to_string();
  EXPECT_TRUE(ctx.exports.empty());
}

}  // namespace
}  // namespace berth::content
