// The built plugin module, loaded the way berthd loads it.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <memory>
#include <string>

#include "berth/metadata.hpp"
#include "plugin_module_test.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"

namespace berth::metadata {
namespace {

using berth::test::FakeInitContext;

class MetadataPlugin : public berth::test::PluginModuleTest {
 protected:
  MetadataPlugin() : PluginModuleTest(BERTH_METADATA_PLUGIN, "io.containerd.metadata.v1", "rocksdb") {}
};

TEST_F(MetadataPlugin, DescribesItselfAsContainerdsMetadataPlugin) {
  EXPECT_STREQ(plugin().type, "io.containerd.metadata.v1");
  EXPECT_STREQ(plugin().id, "rocksdb");
  EXPECT_EQ(plugin().requires_types[0], nullptr);
  auto config = toml::parse(plugin().default_config);
  EXPECT_EQ(config["sync_writes"].value<bool>(), true);
}

TEST_F(MetadataPlugin, InitOpensTheDatabaseUnderItsRoot) {
  FakeInitContext ctx = context(root_, plugin().default_config);
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
  FakeInitContext ctx = context(root_, plugin().default_config);
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Code::kUnavailable) << inst.status().to_string();
  EXPECT_NE(inst.status().message().find((root_ / "meta.db").string()), std::string::npos)
      << inst.status().message();
  EXPECT_TRUE(ctx.exports.empty());
}

TEST_F(MetadataPlugin, InitRejectsAWronglyTypedOption) {
  FakeInitContext ctx = context(root_, "sync_writes = \"yes\"\n");
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Code::kInvalidArgument) << inst.status().to_string();
  EXPECT_NE(inst.status().message().find("sync_writes"), std::string::npos);
}

TEST_F(MetadataPlugin, InitAcceptsSyncWritesOff) {
  FakeInitContext ctx = context(root_, "sync_writes = false\n");
  InitResult inst = init(ctx);
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  ASSERT_OK((*inst)->close());
}

}  // namespace
}  // namespace berth::metadata
