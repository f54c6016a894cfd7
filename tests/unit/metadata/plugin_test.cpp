// The built plugin module, loaded the way berthd loads it.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <memory>
#include <string>

#include "berth/content_store.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "local_store.hpp"
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
  // After the content store and the snapshotters, whose blobs and snapshots
  // it keeps per namespace (as containerd's metadata plugin).
  ASSERT_NE(plugin().requires_types[0], nullptr);
  EXPECT_STREQ(plugin().requires_types[0], "io.containerd.content.v1");
  ASSERT_NE(plugin().requires_types[1], nullptr);
  EXPECT_STREQ(plugin().requires_types[1], "io.containerd.snapshotter.v1");
  EXPECT_EQ(plugin().requires_types[2], nullptr);
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

// A context in which a content store plugin has been initialised already.
class ContextWithContent : public FakeInitContext {
 public:
  ContextWithContent(FakeInitContext base, std::shared_ptr<Instance> content)
      : FakeInitContext(std::move(base)), content_(std::move(content)) {}
  [[nodiscard]] std::vector<std::shared_ptr<Instance>> get_all(std::string_view type) const override {
    if (type == kContentPluginType) return {content_};
    return {};
  }

 private:
  std::shared_ptr<Instance> content_;
};

TEST_F(MetadataPlugin, OffersNamespacedContentOverTheContentPlugin) {
  auto store = content::LocalStore::open(dir_ / "content");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  ContextWithContent ctx(context(root_, plugin().default_config), *store);
  InitResult inst = init(ctx);
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  auto content = std::dynamic_pointer_cast<NamespacedContent>(*inst);
  ASSERT_NE(content, nullptr);
  const ContentScope scope{"default", std::nullopt};
  {
    auto w = content->writer(scope, "ref", 0, "");
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    ASSERT_OK((*w)->write("data"));
    auto d = (*w)->commit(4, "");
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(content->info(scope, *d)->size, 4);
    EXPECT_TRUE((*store)->info(*d).ok());
  }
  ASSERT_OK((*inst)->close());
}

TEST_F(MetadataPlugin, InitSucceedsWithoutAContentPluginButContentCallsFail) {
  FakeInitContext ctx = context(root_, plugin().default_config);
  InitResult inst = init(ctx);
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  auto content = std::dynamic_pointer_cast<NamespacedContent>(*inst);
  ASSERT_NE(content, nullptr);
  auto listed = content->list_statuses({"default", std::nullopt}, {});
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(listed.status().message(), "no content store plugin is loaded");
  ASSERT_OK((*inst)->close());
}

}  // namespace
}  // namespace berth::metadata
