// The RocksDB metadata store: key layout, transactions, namespaces, lifecycle.
// Tests that load the plugin or need a second process live in tests/unit/metadata/.
#include "rocks_metadata.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db_fixture.hpp"
#include "keys.hpp"
#include "namespace_store.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::metadata {
namespace {

using berth::test::TempDir;
using namespace std::string_literals;

// ---------------------------------------------------------------- key layout

TEST(MetadataKeys, PrefixEndIsTheExclusiveUpperBound) {
  EXPECT_EQ(keys::prefix_end("ab"), "ac");
  EXPECT_EQ(keys::prefix_end("a\xff"), "b");
  EXPECT_EQ(keys::prefix_end("\xff\xff"), "");
  EXPECT_EQ(keys::prefix_end(""), "");
}

TEST(MetadataKeys, ObjectKeysRoundTripIdsHoldingSlashes) {
  const std::string images = keys::kind_prefix("default", keys::kImages);
  EXPECT_EQ(images, "v1/ns/default/images/");
  const std::string key = keys::object_key(images, "docker.io/library/busybox:latest", "labels\0a/b"s);
  auto parsed = keys::parse_object_key(images, key);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->id, "docker.io/library/busybox:latest");
  EXPECT_EQ(parsed->field, "labels\0a/b"s);
  EXPECT_FALSE(keys::parse_object_key(images, "v1/ns/default/containers/c\0x"s).has_value());
  EXPECT_FALSE(keys::parse_object_key(images, images + "no-terminator").has_value());
}

TEST(MetadataKeys, OneObjectNeverPrefixesAnother) {
  const std::string images = keys::kind_prefix("default", keys::kImages);
  const std::string a = keys::object_prefix(images, "a");
  EXPECT_FALSE(keys::object_key(images, "ab", "x").starts_with(a));
  EXPECT_FALSE(keys::object_key(images, "a/b", "x").starts_with(a));
  EXPECT_TRUE(keys::object_key(images, "a", "x").starts_with(a));
}

TEST(MetadataKeys, NamespacePrefixesDoNotOverlap) {
  EXPECT_FALSE(keys::namespace_objects_prefix("ab").starts_with(keys::namespace_objects_prefix("a")));
  EXPECT_FALSE(keys::namespace_key("ab").starts_with(keys::namespace_labels_prefix("a")));
  EXPECT_EQ(keys::namespace_label_key("ns", "containerd.io/gc.ref"),
            "v1/namespaces/ns/labels/containerd.io/gc.ref");
  EXPECT_EQ(keys::snapshotter_prefix("ns", "overlayfs"), "v1/ns/ns/snapshots/overlayfs/");
}

TEST(MetadataKeys, PrintableEscapesBinary) { EXPECT_EQ(keys::printable("a\0b\xff\\"s), "a\\x00b\\xff\\x5c"); }

// ---------------------------------------------------------------- fixture

class MetadataStore : public test::DbFixture {
 protected:
  Status create(const std::string& name, Labels labels = {}) {
    return md_->update([&](Transaction& tx) { return namespaces_.create(tx, {name, labels}); });
  }
  Result<Namespace> get(const std::string& name) {
    Result<Namespace> out = internal("view did not run");
    Status st = md_->view([&](Transaction& tx) {
      out = namespaces_.get(tx, name);
      return ok_status();
    });
    if (!st.ok()) return st;
    return out;
  }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    EXPECT_OK(md_->view([&](Transaction& tx) {
      auto list = namespaces_.list(tx);
      if (!list.ok()) return list.status();
      for (const auto& ns : *list) out.push_back(ns.name);
      return ok_status();
    }));
    return out;
  }
  Status set_labels(const std::string& name, const Labels& labels) {
    return md_->update([&](Transaction& tx) { return namespaces_.set_labels(tx, name, labels); });
  }
  Status replace_labels(const std::string& name, const Labels& labels) {
    return md_->update([&](Transaction& tx) { return namespaces_.replace_labels(tx, name, labels); });
  }
  Status remove(const std::string& name) {
    return md_->update([&](Transaction& tx) { return namespaces_.remove(tx, name); });
  }

  KvNamespaceStore namespaces_;
};

using MetadataTransaction = MetadataStore;
using MetadataNamespaces = MetadataStore;
using MetadataLifecycle = MetadataStore;

// ---------------------------------------------------------------- transactions

TEST_F(MetadataTransaction, CommitIsVisibleToLaterTransactions) {
  ASSERT_OK(put("k", "v"));
  EXPECT_EQ(read("k"), "v");
  EXPECT_EQ(read("missing"), std::nullopt);
}

TEST_F(MetadataTransaction, ReadsSeeOwnWritesMergedWithCommittedData) {
  ASSERT_OK(put("k1", "committed"));
  ASSERT_OK(put("k3", "committed"));
  ASSERT_OK(md_->update([&](Transaction& tx) {
    EXPECT_TRUE(tx.writable());
    EXPECT_OK(tx.put("k2", "staged"));
    EXPECT_OK(tx.put("k1", "overwritten"));
    EXPECT_OK(tx.del("k3"));
    EXPECT_EQ(*tx.get("k1"), "overwritten");
    EXPECT_EQ(*tx.get("k2"), "staged");
    EXPECT_EQ(*tx.get("k3"), std::nullopt);
    std::vector<std::pair<std::string, std::string>> seen;
    EXPECT_OK(tx.scan("k", [&](std::string_view k, std::string_view v) {
      seen.emplace_back(k, v);
      return true;
    }));
    EXPECT_EQ(seen,
              (std::vector<std::pair<std::string, std::string>>{{"k1", "overwritten"}, {"k2", "staged"}}));
    // Nothing is visible outside before the commit.
    EXPECT_EQ(read("k2"), std::nullopt);
    return ok_status();
  }));
  EXPECT_EQ(read("k1"), "overwritten");
  EXPECT_EQ(read("k2"), "staged");
  EXPECT_EQ(read("k3"), std::nullopt);
}

TEST_F(MetadataTransaction, FailingFunctionDiscardsAllWrites) {
  ASSERT_OK(put("keep", "old"));
  Status st = md_->update([&](Transaction& tx) {
    EXPECT_OK(tx.put("new", "x"));
    EXPECT_OK(tx.put("keep", "changed"));
    return aborted("changed my mind");
  });
  EXPECT_EQ(st.code(), Code::kAborted);
  EXPECT_EQ(st.message(), "changed my mind");
  EXPECT_EQ(read("new"), std::nullopt);
  EXPECT_EQ(read("keep"), "old");
}

TEST_F(MetadataTransaction, CommitHooksRunAfterTheCommitOutsideTheLock) {
  std::vector<std::string> ran;
  ASSERT_OK(md_->update([&](Transaction& tx) {
    EXPECT_OK(tx.put("k", "v"));
    tx.after_commit([&] {
      // The change is visible, and the hook may write in a transaction of its own.
      ran.push_back("first saw " + read("k").value_or("nothing"));
      EXPECT_OK(put("from-hook", "x"));
    });
    tx.after_commit([&] { ran.push_back("second"); });
    EXPECT_TRUE(ran.empty());
    return ok_status();
  }));
  EXPECT_EQ(ran, (std::vector<std::string>{"first saw v", "second"}));
  EXPECT_EQ(read("from-hook"), "x");

  ran.clear();
  EXPECT_EQ(md_->update([&](Transaction& tx) {
                 EXPECT_OK(tx.put("k2", "v"));
                 tx.after_commit([&] { ran.push_back("discarded"); });
                 return aborted("changed my mind");
               })
                .code(),
            Code::kAborted);
  EXPECT_TRUE(ran.empty());
}

TEST_F(MetadataTransaction, ViewIsReadOnly) {
  ASSERT_OK(put("k", "v"));
  ASSERT_OK(md_->view([&](Transaction& tx) {
    EXPECT_FALSE(tx.writable());
    Status p = tx.put("k", "x");
    EXPECT_EQ(p.code(), Code::kFailedPrecondition);
    EXPECT_EQ(p.message(), "transaction is read-only");
    EXPECT_EQ(tx.del("k").code(), Code::kFailedPrecondition);
    EXPECT_EQ(namespaces_.create(tx, {"ro", {}}).code(), Code::kFailedPrecondition);
    return ok_status();
  }));
  EXPECT_EQ(read("k"), "v");
}

TEST_F(MetadataTransaction, ViewReadsOneSnapshotWhileWritersCommit) {
  ASSERT_OK(put("k", "1"));
  ASSERT_OK(md_->view([&](Transaction& tx) {
    EXPECT_EQ(*tx.get("k"), "1");
    std::thread writer([&] {
      EXPECT_OK(put("k", "2"));
      EXPECT_OK(put("other", "x"));
    });
    writer.join();
    EXPECT_EQ(*tx.get("k"), "1");
    EXPECT_EQ(*tx.get("other"), std::nullopt);
    return ok_status();
  }));
  EXPECT_EQ(read("k"), "2");
}

TEST_F(MetadataTransaction, ViewInsideUpdateSeesOnlyCommittedData) {
  ASSERT_OK(md_->update([&](Transaction& tx) {
    EXPECT_OK(tx.put("staged", "x"));
    EXPECT_EQ(read("staged"), std::nullopt);
    return ok_status();
  }));
  EXPECT_EQ(read("staged"), "x");
}

TEST_F(MetadataTransaction, NestedUpdateIsRefusedNotDeadlocked) {
  ASSERT_OK(md_->update([&](Transaction& tx) {
    Status inner = md_->update([](Transaction&) { return ok_status(); });
    EXPECT_EQ(inner.code(), Code::kFailedPrecondition);
    return tx.put("outer", "ok");
  }));
  EXPECT_EQ(read("outer"), "ok");
}

TEST_F(MetadataTransaction, ScanVisitsPrefixInByteOrderAndStops) {
  for (const std::string& k : {"p/b"s, "p/a"s, "p\0x"s, "p/c"s, "q"s, "o"s, "p"s, "\xff\x01"s, "\xff\xff"s})
    ASSERT_OK(put(k, k));
  EXPECT_EQ(scan_keys("p/"), (std::vector<std::string>{"p/a", "p/b", "p/c"}));
  EXPECT_EQ(scan_keys("p"), (std::vector<std::string>{"p", "p\0x"s, "p/a", "p/b", "p/c"}));
  EXPECT_EQ(scan_keys("\xff"), (std::vector<std::string>{"\xff\x01", "\xff\xff"}));
  EXPECT_EQ(scan_keys("").size(), 10u);  // includes the schema version key

  int visited = 0;
  ASSERT_OK(md_->view([&](Transaction& tx) {
    return tx.scan("p/", [&](std::string_view, std::string_view) { return ++visited < 2; });
  }));
  EXPECT_EQ(visited, 2);
}

TEST_F(MetadataTransaction, ScanCallbackMayWriteToItsTransaction) {
  for (int i = 0; i < 10; ++i) ASSERT_OK(put("k" + std::to_string(i), "v"));
  std::vector<std::string> visited;
  ASSERT_OK(md_->update([&](Transaction& tx) {
    return tx.scan("k", [&](std::string_view key, std::string_view value) {
      visited.emplace_back(key);
      EXPECT_EQ(value, "v");
      EXPECT_OK(tx.del(key));
      if (key == "k3") {
        EXPECT_OK(tx.put("k7a", "v"));  // ahead of the cursor: visited
        EXPECT_OK(tx.put("k0a", "v"));  // behind it: not visited
      }
      return true;
    });
  }));
  EXPECT_EQ(visited,
            (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k7a", "k8", "k9"}));
  EXPECT_EQ(scan_keys("k"), (std::vector<std::string>{"k0a"}));
}

TEST_F(MetadataTransaction, SchemaVersionKeyIsReserved) {
  Status st = put(std::string(keys::kSchemaVersionKey), "9");
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.to_string();
  st = md_->update([](Transaction& tx) { return tx.del(keys::kSchemaVersionKey); });
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.to_string();
}

TEST_F(MetadataTransaction, ConcurrentWritersAreSerialised) {
  ASSERT_OK(put("counter", "0"));
  constexpr int kThreads = 4;
  constexpr int kIncrements = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        EXPECT_OK(md_->update([&](Transaction& tx) {
          auto v = tx.get("counter");
          if (!v.ok()) return v.status();
          std::this_thread::yield();
          return tx.put("counter", std::to_string(std::stoi(**v) + 1));
        }));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(read("counter"), std::to_string(kThreads * kIncrements));
}

// ---------------------------------------------------------------- namespaces

TEST_F(MetadataNamespaces, CreateGetList) {
  ASSERT_OK(create("default", {{"a", "1"}, {"containerd.io/defaults/snapshotter", "overlayfs"}}));
  ASSERT_OK(create("k8s.io"));
  auto ns = get("default");
  ASSERT_TRUE(ns.ok()) << ns.status().to_string();
  EXPECT_EQ(ns->name, "default");
  EXPECT_EQ(ns->labels, (Labels{{"a", "1"}, {"containerd.io/defaults/snapshotter", "overlayfs"}}));
  auto k8s = get("k8s.io");
  ASSERT_TRUE(k8s.ok());
  EXPECT_TRUE(k8s->labels.empty());
  EXPECT_EQ(names(), (std::vector<std::string>{"default", "k8s.io"}));
}

TEST_F(MetadataNamespaces, ListIsSortedAndKeepsLabelsApartForPrefixSharingNames) {
  for (const char* n : {"a-b", "ab", "a", "a.b", "a_b", "A", "a0"}) ASSERT_OK(create(n));
  ASSERT_OK(set_labels("a", {{"x/labels/y", "1"}, {"z", "2"}}));
  ASSERT_OK(set_labels("a-b", {{"only", "a-b"}}));
  EXPECT_EQ(names(), (std::vector<std::string>{"A", "a", "a-b", "a.b", "a0", "a_b", "ab"}));
  ASSERT_OK(md_->view([&](Transaction& tx) {
    auto list = namespaces_.list(tx);
    if (!list.ok()) return list.status();
    for (const auto& ns : *list) {
      if (ns.name == "a") {
        EXPECT_EQ(ns.labels, (Labels{{"x/labels/y", "1"}, {"z", "2"}}));
      } else if (ns.name == "a-b") {
        EXPECT_EQ(ns.labels, (Labels{{"only", "a-b"}}));
      } else {
        EXPECT_TRUE(ns.labels.empty()) << ns.name;
      }
    }
    return ok_status();
  }));
  EXPECT_EQ(get("a")->labels, (Labels{{"x/labels/y", "1"}, {"z", "2"}}));
}

TEST_F(MetadataNamespaces, InvalidNamesAreRejected) {
  for (const std::string& bad :
       {""s, "a/b"s, "-a"s, "a-"s, "a..b"s, "with space"s, "a\0b"s, std::string(77, 'x'), "ns/labels/x"s}) {
    Status st = create(bad);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << keys::printable(bad) << ": " << st.to_string();
  }
  EXPECT_OK(create(std::string(76, 'x')));
  EXPECT_EQ(get("a/b").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(names(), (std::vector<std::string>{std::string(76, 'x')}));
}

TEST_F(MetadataNamespaces, InvalidLabelsAreRejected) {
  Status st = create("n", {{"", "v"}});
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.to_string();
  st = create("n", {{"k", std::string(4096, 'v')}});
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.to_string();
  EXPECT_TRUE(st.message().starts_with("namespace.Labels: ")) << st.message();
  EXPECT_EQ(get("n").status().code(), Code::kNotFound);

  ASSERT_OK(create("n", {{"k", std::string(4095, 'v')}}));
  EXPECT_EQ(set_labels("n", {{"big", std::string(4094, 'v')}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(replace_labels("n", {{"big", std::string(4094, 'v')}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(get("n")->labels.size(), 1u);
}

TEST_F(MetadataNamespaces, DuplicateCreateIsAlreadyExists) {
  ASSERT_OK(create("dup", {{"first", "1"}}));
  Status st = create("dup", {{"second", "2"}});
  EXPECT_EQ(st.code(), Code::kAlreadyExists);
  EXPECT_EQ(st.message(), "namespace \"dup\": already exists");
  EXPECT_EQ(get("dup")->labels, (Labels{{"first", "1"}}));
}

TEST_F(MetadataNamespaces, MissingNamespaceIsNotFound) {
  auto ns = get("nope");
  EXPECT_EQ(ns.status().code(), Code::kNotFound);
  EXPECT_EQ(ns.status().message(), "namespace \"nope\": not found");
  EXPECT_EQ(set_labels("nope", {{"a", "b"}}).code(), Code::kNotFound);
  EXPECT_EQ(replace_labels("nope", {{"a", "b"}}).code(), Code::kNotFound);
  Status st = remove("nope");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.message(), "namespace \"nope\": not found");
  EXPECT_TRUE(names().empty());
}

TEST_F(MetadataNamespaces, SetLabelsMergesAndEmptyValueDeletes) {
  ASSERT_OK(create("n", {{"a", "1"}, {"b", "2"}}));
  ASSERT_OK(set_labels("n", {{"a", "10"}, {"b", ""}, {"c/d", "3"}, {"never-set", ""}}));
  EXPECT_EQ(get("n")->labels, (Labels{{"a", "10"}, {"c/d", "3"}}));
}

TEST_F(MetadataNamespaces, ReplaceLabelsReplacesAll) {
  ASSERT_OK(create("n", {{"a", "1"}, {"b/c", "2"}}));
  ASSERT_OK(replace_labels("n", {{"z", "9"}, {"empty", ""}}));
  EXPECT_EQ(get("n")->labels, (Labels{{"z", "9"}}));
  ASSERT_OK(replace_labels("n", {}));
  EXPECT_TRUE(get("n")->labels.empty());
}

TEST_F(MetadataNamespaces, RemoveDeletesNamespaceAndLabels) {
  ASSERT_OK(create("gone", {{"a", "1"}, {"b/c", "2"}}));
  ASSERT_OK(create("stay", {{"a", "1"}}));
  ASSERT_OK(remove("gone"));
  EXPECT_EQ(get("gone").status().code(), Code::kNotFound);
  EXPECT_EQ(names(), (std::vector<std::string>{"stay"}));
  EXPECT_TRUE(scan_keys(keys::namespace_key("gone")).empty());
  EXPECT_EQ(get("stay")->labels, (Labels{{"a", "1"}}));
  // The name is free again, without the old labels.
  ASSERT_OK(create("gone"));
  EXPECT_TRUE(get("gone")->labels.empty());
}

TEST_F(MetadataNamespaces, RemoveRefusesWhileObjectsRemain) {
  ASSERT_OK(create("busy"));
  const std::vector<std::string> objects = {
      keys::object_key(keys::kind_prefix("busy", keys::kImages), "docker.io/library/busybox:latest",
                       "target"),
      keys::object_key(keys::kind_prefix("busy", keys::kBlobs), "sha256:abc", "size"),
      keys::object_key(keys::kind_prefix("busy", keys::kContainers), "c1", "image"),
      keys::object_key(keys::snapshotter_prefix("busy", "overlayfs"), "layer/1", "name"),
      keys::object_key(keys::snapshotter_prefix("busy", "overlayfs"), "layer/2", "name"),
      keys::object_key(keys::snapshotter_prefix("busy", "native"), "k", "name"),
      keys::object_key(keys::kind_prefix("busy", keys::kLeases), "l1", "created"),
  };
  ASSERT_OK(md_->update([&](Transaction& tx) {
    for (const auto& k : objects) BERTH_RETURN_IF_ERROR(tx.put(k, "x"));
    return ok_status();
  }));
  Status st = remove("busy");
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "namespace \"busy\" must be empty, but it still has images, blobs, containers, "
            "snapshots on \"native\" snapshotter, snapshots on \"overlayfs\" snapshotter");
  EXPECT_TRUE(get("busy").ok());
  EXPECT_EQ(scan_keys(keys::namespace_objects_prefix("busy")).size(), objects.size());

  // Each kind alone is enough to refuse.
  for (std::size_t i = 0; i + 1 < objects.size(); ++i) {
    ASSERT_OK(md_->update([&](Transaction& tx) { return tx.del(objects[i]); }));
    const bool last_counted = i + 2 == objects.size();
    EXPECT_EQ(remove("busy").ok(), last_counted) << "after deleting " << keys::printable(objects[i]);
  }
  EXPECT_EQ(get("busy").status().code(), Code::kNotFound);
}

TEST_F(MetadataNamespaces, RemoveTakesLeasesAndIngestsWithIt) {
  ASSERT_OK(create("leased"));
  const std::string leases = keys::kind_prefix("leased", keys::kLeases);
  ASSERT_OK(md_->update([&](Transaction& tx) {
    BERTH_RETURN_IF_ERROR(tx.put(keys::object_key(leases, "l1", "created"), "t"));
    BERTH_RETURN_IF_ERROR(tx.put(keys::object_key(leases, "l1", "content\0sha256:x"s), ""));
    return tx.put(keys::object_key(keys::kind_prefix("leased", keys::kIngests), "ref", "expected"), "d");
  }));
  ASSERT_OK(remove("leased"));
  EXPECT_TRUE(scan_keys(keys::namespace_objects_prefix("leased")).empty());
}

TEST_F(MetadataNamespaces, RemoveLeavesPrefixSharingNamespacesAlone) {
  for (const char* n : {"a", "ab", "a-b"}) ASSERT_OK(create(n, {{"l", n}}));
  const std::string lease_ab = keys::object_key(keys::kind_prefix("ab", keys::kLeases), "l", "x");
  const std::string lease_a_b = keys::object_key(keys::kind_prefix("a-b", keys::kLeases), "l", "x");
  ASSERT_OK(put(lease_ab, "1"));
  ASSERT_OK(put(lease_a_b, "1"));
  ASSERT_OK(remove("a"));
  EXPECT_EQ(names(), (std::vector<std::string>{"a-b", "ab"}));
  EXPECT_EQ(get("ab")->labels, (Labels{{"l", "ab"}}));
  EXPECT_EQ(get("a-b")->labels, (Labels{{"l", "a-b"}}));
  EXPECT_EQ(read(lease_ab), "1");
  EXPECT_EQ(read(lease_a_b), "1");
}

TEST_F(MetadataNamespaces, EnsureNamespaceCreatesOnlyWhenMissing) {
  ASSERT_OK(create("kept", {{"a", "1"}}));
  ASSERT_OK(md_->update([](Transaction& tx) {
    BERTH_RETURN_IF_ERROR(ensure_namespace(tx, "kept"));
    return ensure_namespace(tx, "implicit");
  }));
  EXPECT_EQ(names(), (std::vector<std::string>{"implicit", "kept"}));
  EXPECT_EQ(get("kept")->labels, (Labels{{"a", "1"}}));
  Status st = md_->update([](Transaction& tx) { return ensure_namespace(tx, "bad/name"); });
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
}

// ---------------------------------------------------------------- lifecycle

TEST_F(MetadataLifecycle, DataSurvivesCloseAndReopen) {
  md_.reset();
  md_ = open(/*sync=*/true);
  ASSERT_TRUE(md_);
  ASSERT_OK(create("persisted", {{"k", "v"}}));
  ASSERT_OK(put("raw", "value"));
  ASSERT_OK(md_->close());
  md_.reset();

  md_ = open();
  ASSERT_TRUE(md_);
  EXPECT_EQ(get("persisted")->labels, (Labels{{"k", "v"}}));
  EXPECT_EQ(read("raw"), "value");
}

TEST_F(MetadataLifecycle, DestructorClosesWithoutExplicitClose) {
  ASSERT_OK(put("k", "v"));
  md_.reset();  // must release the LOCK, or the reopen fails
  md_ = open();
  ASSERT_TRUE(md_);
  EXPECT_EQ(read("k"), "v");
}

TEST_F(MetadataLifecycle, CloseIsIdempotentAndEndsUse) {
  ASSERT_OK(md_->close());
  ASSERT_OK(md_->close());
  Status st = put("k", "v");
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("is closed"), std::string::npos) << st.message();
  EXPECT_EQ(md_->view([](Transaction&) { return ok_status(); }).code(), Code::kFailedPrecondition);
}

TEST_F(MetadataLifecycle, CloseWaitsForRunningTransactions) {
  std::atomic<bool> in_view{false};
  std::atomic<bool> view_done{false};
  std::thread reader([&] {
    EXPECT_OK(md_->view([&](Transaction& tx) {
      in_view = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      auto v = tx.get(keys::kSchemaVersionKey);
      EXPECT_TRUE(v.ok()) << v.status().to_string();
      view_done = true;
      return ok_status();
    }));
  });
  while (!in_view) std::this_thread::yield();
  ASSERT_OK(md_->close());
  EXPECT_TRUE(view_done);
  reader.join();
}

TEST_F(MetadataLifecycle, SecondOpenOfAHeldDatabaseFailsNamingThePath) {
  auto second = RocksMetadata::open(db_path(), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable) << second.status().to_string();
  EXPECT_NE(second.status().message().find(db_path().string()), std::string::npos)
      << second.status().message();
  EXPECT_OK(put("still", "usable"));
}

// Writes straight to RocksDB, bypassing the store's guard on the schema key.
void raw_put(const std::filesystem::path& db_path, const std::string& key, const std::string& value) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, db_path.string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
  ASSERT_TRUE(db->Close().ok());
}

TEST_F(MetadataLifecycle, NewerSchemaIsRefused) {
  ASSERT_OK(md_->close());
  md_.reset();
  raw_put(db_path(), std::string(keys::kSchemaVersionKey), std::to_string(keys::kSchemaVersion + 1));
  auto r = RocksMetadata::open(db_path(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("schema version 2, newer than version 1"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(db_path().string()), std::string::npos);
  // Refusing must not leave the database locked.
  raw_put(db_path(), std::string(keys::kSchemaVersionKey), "1");
  EXPECT_TRUE(RocksMetadata::open(db_path(), {}).ok());
}

TEST_F(MetadataLifecycle, UnreadableSchemaIsDataLoss) {
  ASSERT_OK(md_->close());
  md_.reset();
  raw_put(db_path(), std::string(keys::kSchemaVersionKey), "one");
  auto r = RocksMetadata::open(db_path(), {});
  EXPECT_EQ(r.status().code(), Code::kDataLoss) << r.status().to_string();
}

TEST(MetadataSchema, DataWithoutSchemaVersionIsRefused) {
  TempDir dir;
  raw_put((dir / "meta.db"), "v1/namespaces/x", "");
  auto r = RocksMetadata::open((dir / "meta.db"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss) << r.status().to_string();
}

TEST(MetadataSchema, OpenCreatesMissingParentsAndStampsTheVersion) {
  TempDir dir;
  const auto nested = dir.path() / "a" / "b" / "meta.db";
  auto r = RocksMetadata::open(nested, {});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  std::optional<std::string> version;
  ASSERT_OK((*r)->view([&](Transaction& tx) {
    auto v = tx.get(keys::kSchemaVersionKey);
    if (!v.ok()) return v.status();
    version = *v;
    return ok_status();
  }));
  EXPECT_EQ(version, std::to_string(keys::kSchemaVersion));
}

}  // namespace
}  // namespace berth::metadata
