// berth::NamespacedSnapshots in the metadata plugin (the snapshots-service),
// over a real native snapshotter: namespaces, leases, parents and children,
// labels handed to the backend, and the key layout of the records.
#include "berth/namespaced_snapshots.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "keys.hpp"
#include "lease_store.hpp"
#include "namespaced_snapshots.hpp"
#include "native_snapshotter.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::metadata {
namespace {

using berth::test::TempDir;
using namespace std::string_literals;

class NamespacedSnapshotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto md = RocksMetadata::open(dir_ / "meta.db", {.sync_writes = false});
    ASSERT_TRUE(md.ok()) << md.status().to_string();
    md_ = *md;
    auto native = snapshot::NativeSnapshotter::open(dir_ / "native");
    ASSERT_TRUE(native.ok()) << native.status().to_string();
    backend_ = *native;
    snapshots_ = std::make_shared<MetadataSnapshots>(md_, Snapshotters{{"native", backend_}});
  }

  // The native snapshotter seen from namespace `ns` (under `lease`).
  std::unique_ptr<Snapshotter> in(const std::string& ns, std::optional<std::string> lease = std::nullopt) {
    auto sn = snapshots_->get({ns, std::move(lease)}, "native");
    EXPECT_TRUE(sn.ok()) << sn.status().to_string();
    return sn.ok() ? std::move(*sn) : nullptr;
  }

  // The names of the snapshots `sn` lists, in walk order.
  static std::vector<std::string> names(Snapshotter& sn) {
    std::vector<std::string> out;
    EXPECT_OK(sn.walk({}, [&](const SnapshotInfo& info) {
      out.push_back(info.name);
      return true;
    }));
    return out;
  }

  std::optional<std::string> get_key(const std::string& key) {
    std::optional<std::string> out;
    EXPECT_OK(md_->view([&](Transaction& tx) {
      auto v = tx.get(key);
      if (!v.ok()) return v.status();
      out = std::move(*v);
      return Status();
    }));
    return out;
  }

  TempDir dir_;
  std::shared_ptr<RocksMetadata> md_;
  std::shared_ptr<snapshot::NativeSnapshotter> backend_;
  std::shared_ptr<MetadataSnapshots> snapshots_;
  KvLeaseStore leases_;
};

TEST_F(NamespacedSnapshotsTest, AKeyIsSeenOnlyInItsNamespace) {
  auto a = in("a");
  auto b = in("b");
  ASSERT_OK(a->prepare("k", "", {}).status());
  EXPECT_CODE(b->stat("k"), Code::kNotFound);
  EXPECT_TRUE(names(*b).empty());
  // The same key in another namespace is another backend snapshot.
  ASSERT_OK(b->prepare("k", "", {}).status());
  EXPECT_EQ(names(*a), std::vector<std::string>{"k"});
  EXPECT_EQ(names(*backend_).size(), 2u);
  ASSERT_OK(a->remove("k"));
  EXPECT_OK(b->stat("k").status());
  EXPECT_EQ(names(*backend_).size(), 1u);
}

TEST_F(NamespacedSnapshotsTest, ABadScopeOrAnUnknownSnapshotterIsRefused) {
  EXPECT_CODE(snapshots_->get({"bad/ns", std::nullopt}, "native"), Code::kInvalidArgument);
  EXPECT_CODE(snapshots_->get({"a", ""}, "native"), Code::kInvalidArgument);
  auto missing = snapshots_->get({"a", std::nullopt}, "overlayfs");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "snapshotter overlayfs was not found (loaded: native)");
  EXPECT_EQ(snapshots_->names(), std::vector<std::string>{"native"});
}

TEST_F(NamespacedSnapshotsTest, CommitMovesTheChildAndAParentWithChildrenStays) {
  auto a = in("a");
  ASSERT_OK(a->prepare("base-active", "", {}).status());
  ASSERT_OK(a->commit("base", "base-active", {{"l", "v"}}));
  EXPECT_CODE(a->stat("base-active"), Code::kNotFound);
  auto base = a->stat("base");
  ASSERT_OK(base.status());
  EXPECT_EQ(base->kind, SnapshotKind::kCommitted);
  EXPECT_EQ(base->labels, (Labels{{"l", "v"}}));

  ASSERT_OK(a->prepare("child-active", "base", {}).status());
  ASSERT_OK(a->commit("child", "child-active", {}));
  EXPECT_EQ(a->stat("child")->parent, "base");
  Status refused = a->remove("base");
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition) << refused.to_string();
  EXPECT_NE(refused.message().find("snapshot \"child\""), std::string::npos) << refused.message();
  ASSERT_OK(a->remove("child"));
  ASSERT_OK(a->remove("base"));
  EXPECT_TRUE(names(*backend_).empty());
}

TEST_F(NamespacedSnapshotsTest, SnapshotsMadeUnderALeaseAreHeldByIt) {
  ASSERT_OK(md_->update([&](Transaction& tx) { return leases_.create(tx, "a", {"l1", 0, {}}).status(); }));
  auto leased = in("a", "l1");
  ASSERT_OK(leased->prepare("k", "", {}).status());
  ASSERT_OK(leased->commit("c", "k", {}));
  std::vector<LeaseResource> held;
  ASSERT_OK(md_->view([&](Transaction& tx) {
    auto r = leases_.list_resources(tx, "a", "l1");
    if (!r.ok()) return r.status();
    held = *r;
    return Status();
  }));
  EXPECT_EQ(held, (std::vector<LeaseResource>{{"c", "snapshots/native"}, {"k", "snapshots/native"}}));

  // Under a lease that does not exist nothing is made, here or in the backend.
  auto unknown = in("a", "missing");
  EXPECT_CODE(unknown->prepare("x", "", {}), Code::kNotFound);
  EXPECT_CODE(in("a")->stat("x"), Code::kNotFound);
  EXPECT_EQ(names(*backend_).size(), 1u);
}

TEST_F(NamespacedSnapshotsTest, OnlyInheritedLabelsReachTheBackend) {
  auto a = in("a");
  ASSERT_OK(a->prepare("k", "", {{"containerd.io/snapshot/x", "1"}, {"mine", "2"}}).status());
  auto updated = a->update({"k", "", SnapshotKind::kUnknown, {{"containerd.io/snapshot/y", "3"}}, 0, 0},
                           {"labels.containerd.io/snapshot/y"});
  ASSERT_OK(updated.status());
  EXPECT_EQ(updated->labels,
            (Labels{{"containerd.io/snapshot/x", "1"}, {"containerd.io/snapshot/y", "3"}, {"mine", "2"}}));
  std::vector<SnapshotInfo> in_backend;
  ASSERT_OK(backend_->walk({}, [&](const SnapshotInfo& info) {
    in_backend.push_back(info);
    return true;
  }));
  ASSERT_EQ(in_backend.size(), 1u);
  EXPECT_EQ(in_backend[0].labels,
            (Labels{{"containerd.io/snapshot/x", "1"}, {"containerd.io/snapshot/y", "3"}}));
}

TEST_F(NamespacedSnapshotsTest, RecordsUseTheDocumentedKeys) {
  ASSERT_OK(in("a")->prepare("k/1", "", {{"l", "v"}}).status());
  ASSERT_OK(in("b")->prepare("k/1", "", {}).status());
  EXPECT_EQ(keys::snapshot_key("a", "native", "k/1", keys::kSnapshotKind),
            "v1/ns/a/snapshots/native/k/1\0kind"s);
  EXPECT_EQ(get_key(keys::snapshot_key("a", "native", "k/1", keys::kSnapshotBackendKey)), "a/1/k/1");
  EXPECT_EQ(get_key(keys::snapshot_key("b", "native", "k/1", keys::kSnapshotBackendKey)), "b/2/k/1");
  EXPECT_EQ(get_key(keys::snapshot_key("a", "native", "k/1", keys::kSnapshotKind)), "active");
  EXPECT_EQ(get_key(keys::snapshot_list_prefix("a", "native", "k/1", keys::kSnapshotLabels) + "l"), "v");
  EXPECT_EQ(get_key(std::string(keys::kSnapshotSequenceKey)), "2");
}

}  // namespace
}  // namespace berth::metadata
