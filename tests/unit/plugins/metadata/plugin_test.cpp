// The built metadata module, loaded the way berthd loads it: the database
// plugin and one service plugin per kind of record, each initialised on its
// own and found by its interface.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <memory>
#include <string>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/namespaced_snapshots.hpp"
#include "berth/namespaces.hpp"
#include "berth/services.hpp"
#include "berth/snapshotter.hpp"
#include "local_store.hpp"
#include "namespace_store.hpp"
#include "native_snapshotter.hpp"
#include "plugin_module_test.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"

namespace berth::metadata {
namespace {

using berth::test::FakeInitContext;

// Spelled out, not taken from the SDK: these are containerd's names.
constexpr const char* kMetadataType = "io.containerd.metadata.v1";
constexpr const char* kServiceType = "io.containerd.service.v1";
constexpr const char* kEventType = "io.containerd.event.v1";

std::vector<std::string> requires_of(const berth_plugin_descriptor& d) {
  std::vector<std::string> out;
  for (const char* const* r = d.requires_types; *r != nullptr; ++r) out.emplace_back(*r);
  return out;
}

class MetadataPlugin : public berth::test::PluginModuleTest {
 protected:
  MetadataPlugin() : PluginModuleTest(BERTH_METADATA_PLUGIN, kMetadataType, "rocksdb") {}
};

TEST_F(MetadataPlugin, TheModuleDeclaresTheDatabaseAndOneServicePerKindOfRecord) {
  struct Declared {
    std::string type, id;
    std::vector<std::string> requires_types;
  };
  std::vector<Declared> declared;
  for (uint32_t i = 0; i < table_->count; ++i) {
    const auto& d = table_->plugins[i];
    declared.push_back({d.type, d.id, requires_of(d)});
  }
  // containerd's types and ids; each service after the database and the
  // backends it wraps; all but leases after the event exchange they announce through.
  const std::vector<Declared> want = {
      {kMetadataType, "rocksdb", {}},
      {kServiceType, "namespaces-service", {kMetadataType, kEventType}},
      {kServiceType, "leases-service", {kMetadataType}},
      {kServiceType, "images-service", {kMetadataType, kEventType}},
      {kServiceType, "containers-service", {kMetadataType, kEventType}},
      {kServiceType, "content-service", {kMetadataType, "io.containerd.content.v1", kEventType}},
      {kServiceType, "snapshots-service", {kMetadataType, "io.containerd.snapshotter.v1", kEventType}},
      // The garbage collector works on the records and the backends directly.
      {kServiceType,
       "gc-service",
       {kMetadataType, "io.containerd.content.v1", "io.containerd.snapshotter.v1", kEventType}},
  };
  ASSERT_EQ(declared.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(declared[i].type, want[i].type) << i;
    EXPECT_EQ(declared[i].id, want[i].id) << i;
    EXPECT_EQ(declared[i].requires_types, want[i].requires_types) << want[i].id;
  }
}

TEST_F(MetadataPlugin, DescribesItselfAsContainerdsMetadataPlugin) {
  EXPECT_STREQ(plugin().type, "io.containerd.metadata.v1");
  EXPECT_STREQ(plugin().id, "rocksdb");
  // The database alone: the services that wrap the content store and the
  // snapshotters require those.
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
    // The database only: the records of each kind are other plugins' objects.
    EXPECT_EQ(std::dynamic_pointer_cast<NamespacedContent>(*inst), nullptr);
    EXPECT_EQ(std::dynamic_pointer_cast<NamespacedSnapshots>(*inst), nullptr);
    ASSERT_OK(md->update([&](Transaction& tx) { return KvNamespaceStore().create(tx, {"default", {}}); }));
    ASSERT_OK((*inst)->close());
  }
  auto reopened = RocksMetadata::open(root_ / "meta.db", {});
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  ASSERT_OK(
      (*reopened)->view([&](Transaction& tx) { return KvNamespaceStore().get(tx, "default").status(); }));
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

// One service plugin of the module, initialised in a context that offers
// what the test chooses: a real database, content store and snapshotter.
class ServicePlugin : public berth::test::PluginModuleTest {
 protected:
  explicit ServicePlugin(std::string_view id)
      : PluginModuleTest(BERTH_METADATA_PLUGIN, kServiceType, std::string(id)) {}

  void TearDown() override {
    if (md_) EXPECT_OK(md_->close());
    PluginModuleTest::TearDown();
  }

  // A context in which the metadata database has been initialised already.
  FakeInitContext with_database() {
    auto md = RocksMetadata::open(dir_ / "meta.db", {.sync_writes = false});
    EXPECT_TRUE(md.ok()) << md.status().to_string();
    md_ = *md;
    FakeInitContext ctx = context(root_, "");
    ctx.offer(kMetadataType, "rocksdb", md_);
    return ctx;
  }

  std::shared_ptr<RocksMetadata> md_;
};

// Without the database no service has anywhere to keep its records.
void expect_needs_the_database(const InitResult& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound) << r.status().to_string();
  EXPECT_NE(r.status().message().find("keeps its records in the metadata database"), std::string::npos)
      << r.status().message();
}

class NamespacesServicePlugin : public ServicePlugin {
 protected:
  NamespacesServicePlugin() : ServicePlugin(kNamespacesServiceId) {}
};

TEST_F(NamespacesServicePlugin, OffersTheNamespaceStoreForTheDatabasesTransactions) {
  FakeInitContext ctx = with_database();
  InitResult inst = init(ctx);
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  auto store = std::dynamic_pointer_cast<NamespaceStore>(*inst);
  ASSERT_NE(store, nullptr);
  ASSERT_OK(md_->update([&](Transaction& tx) { return store->create(tx, {"a", {{"k", "v"}}}); }));
  ASSERT_OK(md_->view([&](Transaction& tx) {
    auto ns = store->get(tx, "a");
    if (!ns.ok()) return ns.status();
    EXPECT_EQ(ns->labels, (Labels{{"k", "v"}}));
    return Status();
  }));
}

TEST_F(NamespacesServicePlugin, FailsWithoutTheDatabase) {
  FakeInitContext ctx = context(root_, "");
  expect_needs_the_database(init(ctx));
}

class LeasesServicePlugin : public ServicePlugin {
 protected:
  LeasesServicePlugin() : ServicePlugin(kLeasesServiceId) {}
};

TEST_F(LeasesServicePlugin, OffersTheLeaseStoreForTheDatabasesTransactions) {
  FakeInitContext ctx = with_database();
  InitResult inst = init(ctx);
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  auto store = std::dynamic_pointer_cast<LeaseStore>(*inst);
  ASSERT_NE(store, nullptr);
  ASSERT_OK(md_->update([&](Transaction& tx) { return store->create(tx, "a", {"l1", 0, {}}).status(); }));
  ASSERT_OK(md_->view([&](Transaction& tx) { return store->get(tx, "a", "l1").status(); }));
}

TEST_F(LeasesServicePlugin, FailsWithoutTheDatabase) {
  FakeInitContext ctx = context(root_, "");
  expect_needs_the_database(init(ctx));
}

class ContentServicePlugin : public ServicePlugin {
 protected:
  ContentServicePlugin() : ServicePlugin(kContentServiceId) {}
};

TEST_F(ContentServicePlugin, OffersNamespacedContentOverTheContentPlugin) {
  auto store = content::LocalStore::open(dir_ / "content");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  FakeInitContext ctx = with_database();
  ctx.offer(std::string(kContentPluginType), "content", *store);
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
    // The record is in the database the context offered.
    ASSERT_OK(md_->view([&](Transaction& tx) { return KvNamespaceStore().get(tx, "default").status(); }));
  }
  ASSERT_OK((*inst)->close());
}

TEST_F(ContentServicePlugin, FailsWithoutAContentPluginNamingWhatItNeeds) {
  FakeInitContext ctx = with_database();
  InitResult inst = init(ctx);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.status().code(), Code::kNotFound) << inst.status().to_string();
  EXPECT_NE(inst.status().message().find("content-service needs a content store"), std::string::npos)
      << inst.status().message();
  EXPECT_NE(inst.status().message().find(kContentPluginType), std::string::npos) << inst.status().message();
}

TEST_F(ContentServicePlugin, FailsWithoutTheDatabase) {
  auto store = content::LocalStore::open(dir_ / "content");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  FakeInitContext ctx = context(root_, "");
  ctx.offer(std::string(kContentPluginType), "content", *store);
  expect_needs_the_database(init(ctx));
}

class SnapshotsServicePlugin : public ServicePlugin {
 protected:
  SnapshotsServicePlugin() : ServicePlugin(kSnapshotsServiceId) {}
};

TEST_F(SnapshotsServicePlugin, WrapsEverySnapshotterUnderItsPluginId) {
  auto native = snapshot::NativeSnapshotter::open(dir_ / "native");
  ASSERT_TRUE(native.ok()) << native.status().to_string();
  auto other = snapshot::NativeSnapshotter::open(dir_ / "other");
  ASSERT_TRUE(other.ok()) << other.status().to_string();
  FakeInitContext ctx = with_database();
  const std::string type(kSnapshotterPluginType);
  ctx.offer(type, "zeta", *other);
  ctx.offer(type, "native", *native);
  // Of its type, but no snapshotter: passed over.
  ctx.offer(type, "not-one", md_);
  InitResult inst = init(ctx);
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  auto snapshots = std::dynamic_pointer_cast<NamespacedSnapshots>(*inst);
  ASSERT_NE(snapshots, nullptr);
  EXPECT_EQ(snapshots->names(), (std::vector<std::string>{"native", "zeta"}));

  // Each name reaches its own backend.
  auto sn = snapshots->get({"a", std::nullopt}, "native");
  ASSERT_TRUE(sn.ok()) << sn.status().to_string();
  ASSERT_OK((*sn)->prepare("k", "", {}).status());
  std::size_t in_native = 0, in_other = 0;
  ASSERT_OK((*native)->walk({}, [&](const SnapshotInfo&) {
    ++in_native;
    return true;
  }));
  ASSERT_OK((*other)->walk({}, [&](const SnapshotInfo&) {
    ++in_other;
    return true;
  }));
  EXPECT_EQ(in_native, 1u);
  EXPECT_EQ(in_other, 0u);
  EXPECT_CODE(snapshots->get({"a", std::nullopt}, "not-one"), Code::kNotFound);
}

TEST_F(SnapshotsServicePlugin, WithoutSnapshottersFindsNoneByName) {
  FakeInitContext ctx = with_database();
  InitResult inst = init(ctx);
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  auto snapshots = std::dynamic_pointer_cast<NamespacedSnapshots>(*inst);
  ASSERT_NE(snapshots, nullptr);
  EXPECT_TRUE(snapshots->names().empty());
  auto sn = snapshots->get({"a", std::nullopt}, "overlayfs");
  ASSERT_FALSE(sn.ok());
  EXPECT_EQ(sn.status().code(), Code::kNotFound);
  EXPECT_EQ(sn.status().message(), "snapshotter overlayfs was not found (loaded: none)");
}

TEST_F(SnapshotsServicePlugin, FailsWithoutTheDatabase) {
  FakeInitContext ctx = context(root_, "");
  expect_needs_the_database(init(ctx));
}

}  // namespace
}  // namespace berth::metadata
