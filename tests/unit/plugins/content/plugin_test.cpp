// The built content-local.so, loaded the way berthd loads it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "berth/content_store.hpp"
#include "plugin_module_test.hpp"
#include "test_util.hpp"

namespace berth::content {
namespace {

using berth::test::FakeInitContext;
using namespace berth::content::test;

class ContentPlugin : public berth::test::PluginModuleTest {
 protected:
  ContentPlugin() : PluginModuleTest(BERTH_CONTENT_PLUGIN, "io.containerd.content.v1", "content") {}
};

TEST_F(ContentPlugin, DescribesItselfAsContainerdsContentPlugin) {
  EXPECT_STREQ(plugin().type, "io.containerd.content.v1");
  EXPECT_STREQ(plugin().id, "content");
  EXPECT_EQ(plugin().requires_types[0], nullptr);
  EXPECT_STREQ(plugin().default_config, "");
}

TEST_F(ContentPlugin, InitOffersAContentStoreUnderItsRoot) {
  FakeInitContext ctx = context(root_, plugin().default_config);
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
    FakeInitContext ctx = context(root_, "fsync = false\n");
    InitResult inst = init(ctx);
    EXPECT_TRUE(inst.ok()) << inst.status().to_string();
  }
  FakeInitContext ctx = context(root_, "fsync = \n");
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Code::kInvalidArgument) << inst.status().to_string();
}

TEST_F(ContentPlugin, InitFailsNamingTheRootWhenItCannotBeUsed) {
  const auto file = dir_.path() / "not-a-dir";
  std::ofstream(file) << "x";
  FakeInitContext ctx = context(file, plugin().default_config);
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.status().message().find(file.string()), std::string::npos) << inst.status().to_string();
  EXPECT_TRUE(ctx.exports.empty());
}

}  // namespace
}  // namespace berth::content
