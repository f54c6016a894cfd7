// The garbage collector over the metadata store (MetadataCollector), with a
// real local content store and native snapshotter: containerd's roots and
// references, each reference label, flat and expired leases, snapshots leaf
// first, blobs shared by namespaces, dry runs, and writes racing collections.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "berth/leases.hpp"
#include "clock/clock.hpp"
#include "container_store.hpp"
#include "digest.hpp"
#include "gc_collector.hpp"
#include "gc_refs.hpp"
#include "image_store.hpp"
#include "lease_store.hpp"
#include "local_store.hpp"
#include "namespaced_content.hpp"
#include "namespaced_snapshots.hpp"
#include "native_snapshotter.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::metadata {
namespace {

using berth::test::sha256_of;
using berth::test::TempDir;

constexpr std::string_view kContentRef = "containerd.io/gc.ref.content";
constexpr std::string_view kSnapRef = "containerd.io/gc.ref.snapshot.native";

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto md = RocksMetadata::open(dir_ / "meta.db", {.sync_writes = false});
    ASSERT_TRUE(md.ok()) << md.status().to_string();
    md_ = *md;
    auto store = content::LocalStore::open(dir_ / "content");
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    blobs_ = *store;
    auto native = snapshot::NativeSnapshotter::open(dir_ / "native");
    ASSERT_TRUE(native.ok()) << native.status().to_string();
    native_ = *native;
    content_ = std::make_shared<MetadataContent>(md_, blobs_);
    snapshots_ = std::make_shared<MetadataSnapshots>(md_, Snapshotters{{"native", native_}});
    gc_ = std::make_shared<MetadataCollector>(md_, blobs_, Snapshotters{{"native", native_}});
  }
  void TearDown() override { gc_.reset(); }

  // A thread collecting again and again until `stop`.
  std::thread collecting_until(std::atomic<bool>& stop) {
    return std::thread([this, &stop] {
      while (!stop) {
        auto r = gc_->collect(false);
        EXPECT_TRUE(r.ok()) << r.status().to_string();
      }
    });
  }
  // Replaces the collector with one sweeping as `sweep` says.
  void sweeping(SweepOptions sweep) {
    gc_.reset();  // first: it would take the commit observer from the new one when it goes
    gc_ = std::make_shared<MetadataCollector>(md_, blobs_, Snapshotters{{"native", native_}}, nullptr,
                                              std::move(sweep));
  }

  // Commits `data` in `ns` (under `lease`) with `labels`; its digest.
  std::string blob(const std::string& ns, const std::string& data, const Labels& labels = {},
                   std::optional<std::string> lease = std::nullopt) {
    const ContentScope scope{ns, std::move(lease)};
    auto w = content_->writer(scope, "ref-" + data, 0, "");
    EXPECT_TRUE(w.ok()) << w.status().to_string();
    if (!w.ok()) return {};
    EXPECT_OK((*w)->write(data));
    auto d = (*w)->commit_labeled(0, "", labels);
    EXPECT_TRUE(d.ok()) << d.status().to_string();
    return d.ok() ? *d : std::string();
  }
  std::unique_ptr<Snapshotter> sn(const std::string& ns, std::optional<std::string> lease = std::nullopt) {
    auto s = snapshots_->get({ns, std::move(lease)}, "native");
    EXPECT_TRUE(s.ok()) << s.status().to_string();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A committed snapshot `name` on `parent` in `ns`.
  void committed(const std::string& ns, const std::string& name, const std::string& parent = "",
                 const Labels& labels = {}, std::optional<std::string> lease = std::nullopt) {
    auto s = sn(ns, lease);
    ASSERT_OK(s->prepare("tmp-" + name, parent, {}).status());
    ASSERT_OK(s->commit(name, "tmp-" + name, labels));
  }
  bool has_blob(const std::string& ns, const std::string& d) { return content_->info({ns, {}}, d).ok(); }
  bool on_disk(const std::string& d) { return blobs_->info(d).ok(); }
  bool has_snapshot(const std::string& ns, const std::string& key) { return sn(ns)->stat(key).ok(); }
  std::size_t backend_snapshots() {
    std::size_t n = 0;
    EXPECT_OK(native_->walk({}, [&](const SnapshotInfo&) {
      ++n;
      return true;
    }));
    return n;
  }
  Status image(const std::string& ns, const std::string& name, const std::string& target,
               const Labels& labels = {}) {
    return md_->update([&](Transaction& tx) {
      Image img{name, Descriptor{"application/vnd.oci.image.manifest.v1+json", target, 1, {}}, labels, 0, 0};
      return images_.create(tx, ns, img).status();
    });
  }
  Status lease(const std::string& ns, const std::string& id, const Labels& labels = {}) {
    return md_->update([&](Transaction& tx) { return leases_.create(tx, ns, {id, 0, labels}).status(); });
  }
  GcResult collect(bool dry_run = false) {
    auto r = gc_->collect(dry_run);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : GcResult{};
  }

  TempDir dir_;
  std::shared_ptr<RocksMetadata> md_;
  std::shared_ptr<content::LocalStore> blobs_;
  std::shared_ptr<snapshot::NativeSnapshotter> native_;
  std::shared_ptr<MetadataContent> content_;
  std::shared_ptr<MetadataSnapshots> snapshots_;
  std::shared_ptr<MetadataCollector> gc_;
  KvImageStore images_;
  KvContainerStore containers_;
  KvLeaseStore leases_;
};

// An image as a pull leaves it: manifest -> config and layer by gc.ref.content
// labels, config -> the top snapshot of the chain by gc.ref.snapshot.native.
TEST_F(GcTest, AnImageKeepsItsTreeUntilItIsRemoved) {
  committed("ns", "layer-1");
  committed("ns", "layer-2", "layer-1");
  const std::string layer = blob("ns", "layer");
  const std::string config = blob("ns", "config", {{std::string(kSnapRef), "layer-2"}});
  const std::string manifest =
      blob("ns", "manifest",
           {{std::string(kContentRef) + ".config", config}, {std::string(kContentRef) + ".l.0", layer}});
  ASSERT_OK(image("ns", "example.com/app:1", manifest));
  const std::string junk = blob("ns", "junk");
  committed("ns", "stray");

  GcResult first = collect();
  EXPECT_FALSE(has_blob("ns", junk));
  EXPECT_FALSE(on_disk(junk));
  EXPECT_FALSE(has_snapshot("ns", "stray"));
  for (const auto& d : {layer, config, manifest}) EXPECT_TRUE(on_disk(d)) << d;
  EXPECT_TRUE(has_snapshot("ns", "layer-1"));
  EXPECT_TRUE(has_snapshot("ns", "layer-2"));
  EXPECT_EQ(first.count("blob"), 1);
  EXPECT_EQ(first.count("backend-snapshot"), 1);
  EXPECT_EQ(first.count("content"), 1);
  EXPECT_EQ(first.count("snapshot"), 1);

  ASSERT_OK(md_->update([&](Transaction& tx) { return images_.remove(tx, "ns", "example.com/app:1"); }));
  GcResult second = collect();
  for (const auto& d : {layer, config, manifest}) {
    EXPECT_FALSE(has_blob("ns", d));
    EXPECT_FALSE(on_disk(d));
  }
  EXPECT_FALSE(has_snapshot("ns", "layer-1"));
  EXPECT_FALSE(has_snapshot("ns", "layer-2"));
  EXPECT_EQ(backend_snapshots(), 0u);
  EXPECT_EQ(second.count("blob"), 3);
  EXPECT_EQ(second.count("backend-snapshot"), 2);

  // Nothing is left to take.
  EXPECT_TRUE(collect().removed.empty());
}

TEST_F(GcTest, EveryFormOfTheContentReferenceLabelIsFollowedAndNothingElse) {
  const std::string bare = blob("ns", "bare");
  const std::string dotted = blob("ns", "dotted");
  const std::string slashed = blob("ns", "slashed");
  const std::string lookalike = blob("ns", "lookalike");
  const std::string root = blob("ns", "root",
                                {{std::string(kContentRef), bare},
                                 {std::string(kContentRef) + ".x", dotted},
                                 {std::string(kContentRef) + "/y", slashed},
                                 {std::string(kContentRef) + "x", lookalike},
                                 {"containerd.io/gc.root", "1"}});
  collect();
  EXPECT_TRUE(has_blob("ns", root));
  EXPECT_TRUE(has_blob("ns", bare));
  EXPECT_TRUE(has_blob("ns", dotted));
  EXPECT_TRUE(has_blob("ns", slashed));
  EXPECT_FALSE(has_blob("ns", lookalike));
}

TEST_F(GcTest, SnapshotReferenceLabelsNameTheSnapshotterWithAnOptionalSuffix) {
  committed("ns", "a");
  committed("ns", "b");
  committed("ns", "c");
  blob("ns", "root",
       {{std::string(kSnapRef), "a"},
        {std::string(kSnapRef) + "/extra", "b"},
        {"containerd.io/gc.ref.snapshot.other", "c"},
        {"containerd.io/gc.root", "x"}});
  collect();
  EXPECT_TRUE(has_snapshot("ns", "a"));
  EXPECT_TRUE(has_snapshot("ns", "b"));
  EXPECT_FALSE(has_snapshot("ns", "c"));  // referenced in another snapshotter only
}

TEST_F(GcTest, GcRootLabelledSnapshotsAndTheirParentsAreRoots) {
  committed("ns", "base");
  committed("ns", "top", "base", {{"containerd.io/gc.root", "yes"}});
  committed("ns", "loose");
  collect();
  EXPECT_TRUE(has_snapshot("ns", "top"));
  EXPECT_TRUE(has_snapshot("ns", "base"));
  EXPECT_FALSE(has_snapshot("ns", "loose"));
}

TEST_F(GcTest, AContainerKeepsItsSnapshotAndLabelledContentWhileItExists) {
  committed("ns", "image-top");
  auto s = sn("ns");
  ASSERT_OK(s->prepare("ctr-rw", "image-top", {}).status());
  const std::string spec_blob = blob("ns", "extra");
  ASSERT_OK(md_->update([&](Transaction& tx) {
    Container c;
    c.id = "c1";
    c.runtime.name = "io.containerd.runc.v2";
    c.spec = AnyValue{"types.containerd.io/opencontainers/runtime-spec/1/Spec", "{}"};
    c.snapshotter = "native";
    c.snapshot_key = "ctr-rw";
    c.labels = {{std::string(kContentRef), spec_blob}};
    return containers_.create(tx, "ns", c).status();
  }));
  collect();
  EXPECT_TRUE(has_snapshot("ns", "ctr-rw"));
  EXPECT_TRUE(has_snapshot("ns", "image-top"));
  EXPECT_TRUE(has_blob("ns", spec_blob));

  ASSERT_OK(md_->update([&](Transaction& tx) { return containers_.remove(tx, "ns", "c1"); }));
  collect();
  EXPECT_FALSE(has_snapshot("ns", "ctr-rw"));
  EXPECT_FALSE(has_snapshot("ns", "image-top"));
  EXPECT_FALSE(has_blob("ns", spec_blob));
  EXPECT_EQ(backend_snapshots(), 0u);
}

TEST_F(GcTest, ALiveLeaseKeepsWhatItHoldsAndWhatThatReferences) {
  ASSERT_OK(lease("ns", "pull"));
  const std::string child = blob("ns", "child");
  const std::string held = blob("ns", "held", {{std::string(kContentRef), child}}, "pull");
  committed("ns", "leased", "", {}, "pull");
  collect();
  EXPECT_TRUE(has_blob("ns", held));
  EXPECT_TRUE(has_blob("ns", child));
  EXPECT_TRUE(has_snapshot("ns", "leased"));

  ASSERT_OK(md_->update([&](Transaction& tx) { return leases_.remove(tx, "ns", "pull"); }));
  collect();
  EXPECT_FALSE(on_disk(held));
  EXPECT_FALSE(on_disk(child));
  EXPECT_FALSE(has_snapshot("ns", "leased"));
}

TEST_F(GcTest, AFlatLeaseKeepsOnlyItsOwnResourcesAndSnapshotParents) {
  ASSERT_OK(lease("ns", "flat", {{"containerd.io/gc.flat", "1"}}));
  const std::string child = blob("ns", "child");
  const std::string held = blob("ns", "held", {{std::string(kContentRef), child}}, "flat");
  committed("ns", "parent");
  const std::string by_label = blob("ns", "by-label");
  committed("ns", "top", "parent", {{std::string(kContentRef), by_label}}, "flat");
  collect();
  EXPECT_TRUE(has_blob("ns", held));
  EXPECT_FALSE(has_blob("ns", child));
  EXPECT_TRUE(has_snapshot("ns", "top"));
  EXPECT_TRUE(has_snapshot("ns", "parent"));
  EXPECT_FALSE(has_blob("ns", by_label));
}

TEST_F(GcTest, AnExpiredLeaseGoesWithWhatOnlyItHeld) {
  const std::string past = clock::rfc3339(std::chrono::system_clock::now() - std::chrono::hours(1));
  const std::string future = clock::rfc3339(std::chrono::system_clock::now() + std::chrono::hours(1));
  ASSERT_OK(lease("ns", "old", {{"containerd.io/gc.expire", past}}));
  ASSERT_OK(lease("ns", "young", {{"containerd.io/gc.expire", future}}));
  ASSERT_OK(lease("ns", "garbled", {{"containerd.io/gc.expire", "next tuesday"}}));
  const std::string old_blob = blob("ns", "old-blob", {}, "old");
  const std::string young_blob = blob("ns", "young-blob", {}, "young");
  const std::string garbled_blob = blob("ns", "garbled-blob", {}, "garbled");
  // An ingest the expired lease held goes too; one without a lease stays.
  {
    auto w = content_->writer({"ns", "old"}, "old-ingest", 0, "");
    ASSERT_TRUE(w.ok());
    ASSERT_OK((*w)->write("partial"));
  }
  {
    auto w = content_->writer({"ns", {}}, "free-ingest", 0, "");
    ASSERT_TRUE(w.ok());
    ASSERT_OK((*w)->write("partial"));
  }
  GcResult r = collect();
  EXPECT_EQ(r.count("lease"), 1);
  EXPECT_EQ(r.count("ingest"), 1);
  EXPECT_FALSE(on_disk(old_blob));
  EXPECT_TRUE(on_disk(young_blob));
  EXPECT_TRUE(on_disk(garbled_blob));  // an unreadable expiry is ignored, as containerd does
  auto leases = [&] {
    std::vector<Lease> out;
    EXPECT_OK(md_->view([&](Transaction& tx) {
      auto l = leases_.list(tx, "ns", {});
      if (l.ok()) out = *l;
      return l.status();
    }));
    return out.size();
  };
  EXPECT_EQ(leases(), 2u);
  EXPECT_CODE(content_->status({"ns", {}}, "old-ingest"), Code::kNotFound);
  EXPECT_TRUE(content_->status({"ns", {}}, "free-ingest").ok());
}

TEST_F(GcTest, ABlobSharedByTwoNamespacesStaysUntilBothDropIt) {
  const std::string a = blob("a", "shared", {{"containerd.io/gc.root", "1"}});
  const std::string b = blob("b", "shared", {{"containerd.io/gc.root", "1"}});
  ASSERT_EQ(a, b);
  ASSERT_OK(content_->remove({"a", {}}, a));
  collect();
  EXPECT_TRUE(on_disk(a));
  EXPECT_TRUE(has_blob("b", a));
  // Unlabelled in b: b's record is unreferenced now, and the blob goes.
  ASSERT_OK(content_->update({"b", {}}, {a, 0, 0, 0, {}}, {"labels"}).status());
  GcResult r = collect();
  EXPECT_FALSE(has_blob("b", a));
  EXPECT_FALSE(on_disk(a));
  EXPECT_EQ(r.count("blob"), 1);
}

TEST_F(GcTest, AnImageInOneNamespaceDoesNotKeepAnotherNamespacesRecord) {
  const std::string d = blob("a", "same");
  blob("b", "same");
  ASSERT_OK(image("a", "img", d));
  collect();
  EXPECT_TRUE(has_blob("a", d));
  EXPECT_FALSE(has_blob("b", d));
  EXPECT_TRUE(on_disk(d));
}

TEST_F(GcTest, UnrecordedBackendSnapshotsGoLeafFirst) {
  // What a crash between a backend's work and its record leaves: a chain
  // the backend has and no namespace records.
  ASSERT_OK(native_->prepare("orphan/1/a", "", {}).status());
  ASSERT_OK(native_->commit("orphan/2/a", "orphan/1/a", {}));
  ASSERT_OK(native_->prepare("orphan/3/b", "orphan/2/a", {}).status());
  ASSERT_OK(native_->commit("orphan/4/b", "orphan/3/b", {}));
  ASSERT_OK(native_->prepare("orphan/5/c", "orphan/4/b", {}).status());
  committed("ns", "kept", "", {{"containerd.io/gc.root", "1"}});
  GcResult r = collect();
  EXPECT_EQ(r.count("backend-snapshot"), 3);
  EXPECT_EQ(backend_snapshots(), 1u);
  EXPECT_TRUE(has_snapshot("ns", "kept"));
}

TEST_F(GcTest, ADryRunReportsWhatAnActualRunRemovesAndRemovesNothing) {
  const std::string keep = blob("ns", "keep", {{"containerd.io/gc.root", "1"}});
  const std::string junk = blob("ns", "junk");
  committed("ns", "stray");
  GcResult dry = collect(true);
  EXPECT_TRUE(dry.dry_run);
  EXPECT_TRUE(on_disk(junk));
  EXPECT_TRUE(has_snapshot("ns", "stray"));
  GcResult real = collect();
  EXPECT_EQ(dry.removed, real.removed);
  EXPECT_EQ(real.count("blob"), 1);
  EXPECT_TRUE(on_disk(keep));
}

TEST_F(GcTest, TheMutationListenerHearsOfDeletionsButNotOfTheCollectorsOwn) {
  std::vector<bool> heard;
  std::mutex mu;
  gc_->on_mutation([&](bool deletion) {
    std::lock_guard lock(mu);
    heard.push_back(deletion);
  });
  const std::string d = blob("ns", "x", {{"containerd.io/gc.root", "1"}});
  {
    std::lock_guard lock(mu);
    ASSERT_FALSE(heard.empty());
    for (bool deletion : heard) EXPECT_FALSE(deletion);
    heard.clear();
  }
  ASSERT_OK(content_->remove({"ns", {}}, d));
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_TRUE(heard[0]);
    heard.clear();
  }
  blob("ns", "y");
  {
    std::lock_guard lock(mu);
    heard.clear();
  }
  EXPECT_EQ(collect().count("content"), 1);
  std::lock_guard lock(mu);
  EXPECT_TRUE(heard.empty());
  gc_->on_mutation(nullptr);
}

// A writer that keeps making new blobs reachable while collections run: each
// blob is committed (unreferenced), then an image is pointed at it. No
// collection may take a blob an image points to.
TEST_F(GcTest, CollectionsRacingWritersNeverTakeWhatTheWritersReference) {
  std::atomic<bool> stop{false};
  std::thread collector = collecting_until(stop);
  for (int i = 0; i < 200; ++i) {
    const std::string data = "blob " + std::to_string(i);
    const ContentScope scope{"ns", std::nullopt};
    auto w = content_->writer(scope, "r" + std::to_string(i), 0, "");
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    ASSERT_OK((*w)->write(data));
    auto d = (*w)->commit(0, "");
    if (!d.ok()) continue;  // taken before it was referenced: allowed, it was garbage
    if (Status st = image("ns", "img", *d); st.code() == Code::kAlreadyExists) {
      ASSERT_OK(md_->update([&](Transaction& tx) {
        Image img{"img", Descriptor{"application/vnd.oci.image.manifest.v1+json", *d, 1, {}}, {}, 0, 0};
        return images_.update(tx, "ns", img, {"target"}).status();
      }));
    } else {
      ASSERT_OK(st);
    }
    // The image holds it now: it must survive every later collection. It
    // may have been taken before the image pointed at it, so only check
    // those still recorded once the image points at them.
    const bool recorded = has_blob("ns", *d);
    if (recorded) {
      ASSERT_OK(gc_->collect(false).status());
      EXPECT_TRUE(has_blob("ns", *d)) << i;
      EXPECT_TRUE(on_disk(*d)) << i;
    }
  }
  stop = true;
  collector.join();
}

// More garbage than one sweep update takes: every chunk goes, children of a
// chain before their parents, and what is referenced stays.
TEST_F(GcTest, MoreGarbageThanOneSweepChunkAllGoesChildrenFirst) {
  std::vector<std::string> junk;
  for (int i = 0; i < 600; ++i) junk.push_back(blob("ns", "junk " + std::to_string(i)));
  std::string parent;
  for (int i = 0; i < 5; ++i) {
    const std::string name = "chain-" + std::to_string(i);
    committed("ns", name, parent);
    parent = name;
  }
  const std::string kept = blob("ns", "kept", {{"containerd.io/gc.root", "1"}});
  GcResult r = collect();
  EXPECT_EQ(r.count("content"), 600);
  EXPECT_EQ(r.count("snapshot"), 5);
  EXPECT_EQ(r.count("backend-snapshot"), 5);
  for (const auto& d : junk) EXPECT_FALSE(on_disk(d));
  EXPECT_TRUE(on_disk(kept));
  EXPECT_EQ(backend_snapshots(), 0u);
}

// With no time for more, each of the sweep's updates takes one record, and
// the sweep still goes through all of them.
TEST_F(GcTest, ATimeBoxedSweepGoesThroughEveryRecordWhateverItsBudget) {
  std::vector<std::size_t> done;
  sweeping({.budget = std::chrono::nanoseconds(0),
            .after_update = [&](std::size_t d, std::size_t) { done.push_back(d); }});
  std::vector<std::string> junk;
  for (int i = 0; i < 150; ++i) junk.push_back(blob("ns", "junk " + std::to_string(i)));
  for (int i = 0; i < 50; ++i)
    ASSERT_OK(lease("ns", "old-" + std::to_string(i), {{"containerd.io/gc.expire", "2000-01-01T00:00:00Z"}}));
  committed("ns", "stray-1");
  committed("ns", "stray-2", "stray-1");
  const std::string kept = blob("ns", "kept", {{"containerd.io/gc.root", "1"}});
  GcResult r = collect();
  EXPECT_EQ(r.count("content"), 150);
  EXPECT_EQ(r.count("lease"), 50);
  EXPECT_EQ(r.count("snapshot"), 2);
  EXPECT_EQ(r.count("backend-snapshot"), 2);
  ASSERT_EQ(done.size(), 202u);
  for (std::size_t i = 0; i < done.size(); ++i) EXPECT_EQ(done[i], i + 1);
  for (const auto& d : junk) EXPECT_FALSE(on_disk(d));
  EXPECT_TRUE(on_disk(kept));
  EXPECT_EQ(backend_snapshots(), 0u);

  // The daemon's budget ends where the records do, too.
  done.clear();
  sweeping({.after_update = [&](std::size_t d, std::size_t) { done.push_back(d); }});
  for (int i = 0; i < 150; ++i) blob("ns", "junk " + std::to_string(i));
  EXPECT_EQ(collect().count("content"), 150);
  ASSERT_FALSE(done.empty());
  EXPECT_EQ(done.back(), 150u);
}

// Writes made between two of the sweep's updates that reach objects the
// mark found unreachable and the sweep has not come to yet: a new image,
// a new lease's resource, a new label on a root; the objects stay, with
// everything they reference, and the rest goes.
TEST_F(GcTest, WritesDuringTheSweepThatReachAnObjectKeepIt) {
  std::vector<std::string> junk;
  for (int i = 0; i < 40; ++i) junk.push_back(blob("ns", "junk " + std::to_string(i)));
  std::sort(junk.begin(), junk.end());  // the sweep's order: by digest
  const std::string root = blob("ns", "root", {{"containerd.io/gc.root", "1"}});
  committed("ns", "base");
  committed("ns", "top", "base");
  // Swept last (by digest, snapshots after blobs): still there after the first update.
  const std::string by_image = junk[39];
  const std::string by_lease = junk[38];
  const std::string by_label = junk[37];
  bool wrote = false;
  sweeping({.budget = std::chrono::nanoseconds(0), .after_update = [&](std::size_t done, std::size_t) {
              if (done != 1) return;
              ASSERT_TRUE(has_blob("ns", by_image));
              ASSERT_OK(image("ns", "late", by_image));
              ASSERT_OK(lease("ns", "late"));
              ASSERT_OK(md_->update([&](Transaction& tx) {
                return leases_.add_resource(tx, "ns", "late", {by_lease, "content"});
              }));
              ASSERT_OK(content_
                            ->update({"ns", {}},
                                     ContentInfo{.digest = root,
                                                 .labels = {{"containerd.io/gc.root", "1"},
                                                            {std::string(kContentRef), by_label},
                                                            {std::string(kSnapRef), "top"}}},
                                     {"labels"})
                            .status());
              wrote = true;
            }});
  GcResult r = collect();
  ASSERT_TRUE(wrote);
  for (const auto& d : {by_image, by_lease, by_label, root}) {
    EXPECT_TRUE(has_blob("ns", d)) << d;
    EXPECT_TRUE(on_disk(d)) << d;
  }
  EXPECT_TRUE(has_snapshot("ns", "top"));
  EXPECT_TRUE(has_snapshot("ns", "base"));
  EXPECT_EQ(backend_snapshots(), 2u);
  EXPECT_EQ(r.count("content"), 37);
  for (int i = 0; i < 37; ++i) EXPECT_FALSE(on_disk(junk[i])) << i;
}

// Snapshots made while collections run, each a root from its first update:
// the backend sweep, outside the writer lock, never takes one.
TEST_F(GcTest, SnapshotsMadeWhileCollectionsRunKeepTheirBackendSnapshots) {
  std::atomic<bool> stop{false};
  std::thread collector = collecting_until(stop);
  auto s = sn("ns");
  for (int i = 0; i < 100; ++i) {
    const std::string key = "root-" + std::to_string(i);
    ASSERT_OK(s->prepare(key, "", {{"containerd.io/gc.root", "1"}}).status());
    ASSERT_OK(s->prepare("junk-" + std::to_string(i), "", {}).status());  // garbage for them to take
  }
  stop = true;
  collector.join();
  collect();
  EXPECT_EQ(backend_snapshots(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(s->mounts("root-" + std::to_string(i)).ok()) << i;
}

// The marker keeps its marks from one transaction to the next: mark() does
// not read a marked object again, remark() does, and finds what it gained.
TEST_F(GcTest, AMarkerRemarksWhatAWriterChangedAndOnlyThat) {
  const std::string first = blob("ns", "first");
  const std::string second = blob("ns", "second");
  ASSERT_OK(image("ns", "img", first));
  const gc::Node img{gc::Kind::kImage, "ns", "img"};
  const gc::Node second_node{gc::Kind::kContent, "ns", second};
  std::optional<gc::Marker> marker;
  ASSERT_OK(md_->view([&](Transaction& tx) {
    marker.emplace(tx, clock::now_ns());
    return marker->mark(img);
  }));
  EXPECT_TRUE(marker->marked(gc::Node{gc::Kind::kContent, "ns", first}));
  EXPECT_FALSE(marker->marked(second_node));
  ASSERT_OK(image("ns", "img2", first));  // unrelated
  ASSERT_OK(md_->update([&](Transaction& tx) {
    Image changed{"img",
                  Descriptor{"application/vnd.oci.image.manifest.v1+json", first, 1, {}},
                  {{std::string(kContentRef), second}},
                  0,
                  0};
    return images_.update(tx, "ns", changed, {"labels"}).status();
  }));
  ASSERT_OK(md_->view([&](Transaction& tx) {
    marker->rebind(tx);
    return marker->mark(img);
  }));
  EXPECT_FALSE(marker->marked(second_node));
  ASSERT_OK(md_->view([&](Transaction& tx) {
    marker->rebind(tx);
    return marker->remark(img);
  }));
  EXPECT_TRUE(marker->marked(second_node));
  EXPECT_TRUE(marker->marked(gc::Node{gc::Kind::kContent, "ns", first}));
}

TEST(GcRefsTest, KeysMapToTheirObjects) {
  using gc::Kind;
  auto n = gc::object_of_key(std::string("v1/ns/a/snapshots/native/k/x\0labels\0l", 38));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, Kind::kSnapshot);
  EXPECT_EQ(n->ns, "a");
  EXPECT_EQ(n->id, "native/k/x");
  n = gc::object_of_key(std::string("v1/ns/a/content/blobs/sha256:ab\0size", 36));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->kind, Kind::kContent);
  EXPECT_EQ(n->id, "sha256:ab");
  EXPECT_FALSE(gc::object_of_key("v1/namespaces/a"));
  EXPECT_FALSE(gc::object_of_key("v1/sequences/snapshots"));
  EXPECT_TRUE(gc::drops_reference(std::string("v1/ns/a/content/blobs/sha256:ab\0size", 36)));
  EXPECT_FALSE(gc::drops_reference(std::string("v1/ns/a/content/blobs/sha256:ab\0updated_at", 42)));
}

}  // namespace
}  // namespace berth::metadata
