// berth::NamespacedContent in the metadata plugin (the content-service), over
// a real local content store (plugins/content): namespace isolation, labels, walk filters, removal,
// ingests per namespace, leases, and persistence.
#include "berth/namespaced_content.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/metadata.hpp"
#include "digest.hpp"
#include "keys.hpp"
#include "lease_store.hpp"
#include "local_store.hpp"
#include "namespace_store.hpp"
#include "namespaced_content.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::metadata {
namespace {

using berth::test::TempDir;
using namespace std::string_literals;

using berth::test::sha256_of;

const ContentScope kA{"a", std::nullopt};
const ContentScope kB{"b", std::nullopt};

class NamespacedContentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = content::LocalStore::open(dir_ / "content");
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    backend_ = *store;
    reopen();
  }

  void reopen() {
    content_.reset();
    if (md_) ASSERT_OK(md_->close());
    md_.reset();
    auto r = RocksMetadata::open(dir_ / "meta.db", {.sync_writes = false});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    md_ = *r;
    content_ = std::make_shared<MetadataContent>(md_, backend_);
  }

  NamespacedContent& cs() { return *content_; }

  // Writes and commits `data` in `scope` through ref `ref`.
  Result<std::string> put(const ContentScope& scope, std::string_view data, const Labels& labels = {},
                          std::string ref = "ref") {
    auto w = cs().writer(scope, ref, static_cast<int64_t>(data.size()), sha256_of(data));
    if (!w.ok()) return w.status();
    // As clients do: send only what the ingest lacks (nothing when another
    // namespace has the blob already).
    auto st = (*w)->status();
    if (!st.ok()) return st.status();
    BERTH_RETURN_IF_ERROR((*w)->write(data.substr(static_cast<std::size_t>(st->offset))));
    return (*w)->commit_labeled(static_cast<int64_t>(data.size()), sha256_of(data), labels);
  }

  Result<std::string> read(const ContentScope& scope, std::string_view digest) {
    auto r = cs().reader(scope, digest);
    if (!r.ok()) return r.status();
    std::string out(static_cast<std::size_t>((*r)->size()), '\0');
    auto n = (*r)->read_at(0, out.data(), out.size());
    if (!n.ok()) return n.status();
    out.resize(*n);
    return out;
  }

  std::vector<std::string> walked(const ContentScope& scope, const std::vector<std::string>& filters = {}) {
    std::vector<std::string> out;
    EXPECT_OK(cs().walk(scope, filters, [&](const ContentInfo& i) {
      out.push_back(i.digest);
      return true;
    }));
    std::sort(out.begin(), out.end());
    return out;
  }

  Status create_lease(const std::string& ns, const std::string& id) {
    return md_->update([&](Transaction& tx) { return leases_.create(tx, ns, {id, 0, {}}).status(); });
  }
  std::vector<LeaseResource> resources(const std::string& ns, const std::string& id) {
    std::vector<LeaseResource> out;
    EXPECT_OK(md_->view([&](Transaction& tx) {
      auto r = leases_.list_resources(tx, ns, id);
      if (!r.ok()) return r.status();
      out = *r;
      return Status();
    }));
    return out;
  }

  TempDir dir_;
  std::shared_ptr<content::LocalStore> backend_;
  std::shared_ptr<RocksMetadata> md_;
  std::shared_ptr<MetadataContent> content_;
  KvLeaseStore leases_;
};

// ---------------------------------------------------------------- isolation

TEST_F(NamespacedContentTest, ABlobIsSeenOnlyInTheNamespaceThatCommittedIt) {
  const std::string data = "hello, namespaces";
  const std::string d = sha256_of(data);
  auto committed = put(kA, data, {{"k", "a-value"}});
  ASSERT_TRUE(committed.ok()) << committed.status().to_string();
  EXPECT_EQ(*committed, d);

  auto info = cs().info(kA, d);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
  EXPECT_EQ(info->labels, (Labels{{"k", "a-value"}}));
  EXPECT_GT(info->created_at, 0);
  EXPECT_EQ(read(kA, d).value(), data);

  auto other = cs().info(kB, d);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Code::kNotFound);
  EXPECT_EQ(other.status().message(), "content digest " + d + ": not found");
  EXPECT_CODE(cs().reader(kB, d), Code::kNotFound);
  EXPECT_CODE(cs().remove(kB, d), Code::kNotFound);
  EXPECT_TRUE(walked(kB).empty());
  EXPECT_EQ(walked(kA), std::vector<std::string>{d});
  // Committing creates the namespace, as containerd does.
  EXPECT_OK(md_->view([&](Transaction& tx) { return KvNamespaceStore().get(tx, "a").status(); }));
}

TEST_F(NamespacedContentTest, AnotherNamespaceRecordsAnExistingBlobWithoutTheData) {
  const std::string data = "shared layer";
  const std::string d = sha256_of(data);
  ASSERT_OK(put(kA, data, {{"who", "a"}}).status());

  auto w = cs().writer(kB, "pull-1", static_cast<int64_t>(data.size()), d);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  auto st = (*w)->status();
  ASSERT_TRUE(st.ok()) << st.status().to_string();
  EXPECT_EQ(st->ref, "pull-1");
  EXPECT_EQ(st->offset, static_cast<int64_t>(data.size()));
  EXPECT_EQ(st->total, static_cast<int64_t>(data.size()));
  EXPECT_EQ(st->expected, d);
  // Nothing to write; commit only records it.
  EXPECT_CODE((*w)->write("x"), Code::kFailedPrecondition);
  EXPECT_OK((*w)->write(""));
  EXPECT_CODE((*w)->commit_labeled(static_cast<int64_t>(data.size()) + 1, d, {}), Code::kFailedPrecondition);
  auto committed = (*w)->commit_labeled(static_cast<int64_t>(data.size()), d, {{"who", "b"}});
  ASSERT_TRUE(committed.ok()) << committed.status().to_string();
  EXPECT_EQ(*committed, d);

  EXPECT_EQ(read(kB, d).value(), data);
  EXPECT_EQ(cs().info(kA, d)->labels, (Labels{{"who", "a"}}));
  EXPECT_EQ(cs().info(kB, d)->labels, (Labels{{"who", "b"}}));
  // Labels belong to the namespace.
  ASSERT_OK(cs().update(kB, {d, 0, 0, 0, {{"who", "changed"}}}, {"labels.who"}).status());
  EXPECT_EQ(cs().info(kA, d)->labels, (Labels{{"who", "a"}}));
  EXPECT_EQ(cs().info(kB, d)->labels, (Labels{{"who", "changed"}}));
}

// A blob the backend has but no namespace records (after `content rm`,
// before a collection) is garbage a collection may take at any moment: an
// ingest of it receives the data again, whether the blob goes meanwhile or
// stays, and still holds the data to the digest it was opened with.
TEST_F(NamespacedContentTest, AnIngestOfAnUnrecordedBlobReceivesItAgain) {
  const std::string data = "removed, then pulled again";
  const std::string d = sha256_of(data);
  const auto size = static_cast<int64_t>(data.size());
  for (const bool collected : {false, true}) {
    SCOPED_TRACE(collected ? "collected before the commit" : "still there at the commit");
    ASSERT_OK(put(kA, data).status());
    ASSERT_OK(cs().remove(kA, d));
    ASSERT_TRUE(backend_->info(d).ok());

    auto w = cs().writer(kA, "again", size, d);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    auto st = (*w)->status();
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    EXPECT_EQ(st->offset, 0);
    EXPECT_EQ(st->expected, d);
    ASSERT_OK((*w)->write(data));
    if (collected) ASSERT_OK(backend_->remove(d));
    auto committed = (*w)->commit_labeled(size, "", {});
    ASSERT_TRUE(committed.ok()) << committed.status().to_string();
    EXPECT_EQ(*committed, d);
    EXPECT_EQ(read(kA, d).value(), data);
    ASSERT_OK(cs().remove(kA, d));
  }

  // Other bytes are refused against the digest given at the start.
  auto w = cs().writer(kA, "wrong", size, d);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  const std::string other(data.size(), 'x');
  ASSERT_OK((*w)->write(other));
  EXPECT_CODE((*w)->commit_labeled(size, "", {}), Code::kFailedPrecondition);
  EXPECT_CODE((*w)->commit_labeled(size, sha256_of(other), {}), Code::kFailedPrecondition);
  EXPECT_CODE(cs().info(kA, d), Code::kNotFound);
}

TEST_F(NamespacedContentTest, AWriterOfAnExistingBlobTakesWritesAfterATruncate) {
  // A client that writes anyway (truncate to 0 or to a prefix, then the
  // rest), as containerd's writer lets it.
  const std::string data = "shared layer, written again";
  const std::string d = sha256_of(data);
  ASSERT_OK(put(kA, data).status());
  for (int64_t keep : {int64_t{0}, int64_t{7}}) {
    const auto ns = keep == 0 ? kB : ContentScope{"c", std::nullopt};
    auto w = cs().writer(ns, "again", static_cast<int64_t>(data.size()), d);
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    ASSERT_OK((*w)->truncate(keep));
    auto st = (*w)->status();
    ASSERT_TRUE(st.ok()) << st.status().to_string();
    EXPECT_EQ(st->offset, keep);
    ASSERT_OK((*w)->write(std::string_view(data).substr(static_cast<std::size_t>(keep))));
    auto committed = (*w)->commit(static_cast<int64_t>(data.size()), d);
    ASSERT_TRUE(committed.ok()) << committed.status().to_string();
    EXPECT_EQ(read(ns, d).value(), data);
    EXPECT_CODE(cs().status(ns, "again"), Code::kNotFound);
  }
  auto w = cs().writer({"d", std::nullopt}, "past", static_cast<int64_t>(data.size()), d);
  ASSERT_TRUE(w.ok());
  EXPECT_CODE((*w)->truncate(static_cast<int64_t>(data.size()) + 1), Code::kOutOfRange);
}

TEST_F(NamespacedContentTest, SecondCommitInOneNamespaceIsAlreadyExists) {
  const std::string data = "once";
  const std::string d = sha256_of(data);
  ASSERT_OK(put(kA, data).status());
  auto again = cs().writer(kA, "again", 0, d);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "content " + d + ": already exists");

  // Without an expected digest the writer opens; its commit is refused.
  auto w = cs().writer(kA, "no-expected", 0, "");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_OK((*w)->write(data));
  auto committed = (*w)->commit(0, "");
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.status().code(), Code::kAlreadyExists) << committed.status().to_string();
  // The consumed ingest is gone from the namespace too.
  EXPECT_CODE(cs().status(kA, "no-expected"), Code::kNotFound);
  EXPECT_EQ(read(kA, d).value(), data);
}

TEST_F(NamespacedContentTest, BadInputIsRefused) {
  EXPECT_CODE(cs().writer(kA, "", 0, ""), Code::kInvalidArgument);
  EXPECT_CODE(cs().writer(kA, "r", 0, "sha256:nothex"), Code::kInvalidArgument);
  EXPECT_CODE(cs().writer(kA, "r", -1, ""), Code::kInvalidArgument);
  EXPECT_CODE(cs().writer({"bad/ns", std::nullopt}, "r", 0, ""), Code::kInvalidArgument);
  EXPECT_CODE(cs().info(kA, "sha256:abc"), Code::kInvalidArgument);
  auto w = cs().writer(kA, "r", 0, "");
  ASSERT_TRUE(w.ok());
  ASSERT_OK((*w)->write("data"));
  EXPECT_CODE((*w)->commit_labeled(0, "", {{"k", std::string(5000, 'v')}}), Code::kInvalidArgument);
  EXPECT_CODE((*w)->commit(0, sha256_of("other")), Code::kFailedPrecondition);
  EXPECT_TRUE(walked(kA).empty());
  ASSERT_OK((*w)->commit(4, sha256_of("data")).status());
}

// ---------------------------------------------------------------- update, walk

TEST_F(NamespacedContentTest, UpdateReplacesOrSetsLabelsByPath) {
  const std::string d = sha256_of("labelled");
  ASSERT_OK(put(kA, "labelled", {{"x", "1"}, {"y", "2"}}).status());
  const auto before = cs().info(kA, d).value();

  auto replaced = cs().update(kA, {d, 0, 0, 0, {{"z", "3"}}}, {});
  ASSERT_TRUE(replaced.ok()) << replaced.status().to_string();
  EXPECT_EQ(replaced->labels, (Labels{{"z", "3"}}));
  EXPECT_GE(replaced->updated_at, before.updated_at);
  EXPECT_EQ(replaced->created_at, before.created_at);
  EXPECT_EQ(replaced->size, before.size);

  ASSERT_OK(cs().update(kA, {d, 0, 0, 0, {{"a", "1"}, {"b", "2"}}}, {"labels"}).status());
  EXPECT_EQ(cs().info(kA, d)->labels, (Labels{{"a", "1"}, {"b", "2"}}));

  // One key set, one removed (absent from the info), others untouched.
  auto single = cs().update(kA, {d, 0, 0, 0, {{"c", "3"}, {"ignored", "x"}}}, {"labels.c", "labels.a"});
  ASSERT_TRUE(single.ok()) << single.status().to_string();
  EXPECT_EQ(single->labels, (Labels{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(cs().info(kA, d)->labels, (Labels{{"b", "2"}, {"c", "3"}}));

  auto bad = cs().update(kA, {d, 0, 0, 0, {}}, {"size"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_CODE(cs().update(kA, {d, 0, 0, 0, {}}, {"labels."}), Code::kInvalidArgument);
  EXPECT_CODE(cs().update(kA, {d, 0, 0, 0, {{"k", std::string(5000, 'v')}}}, {}), Code::kInvalidArgument);
  EXPECT_EQ(cs().info(kA, d)->labels, (Labels{{"b", "2"}, {"c", "3"}}));
  EXPECT_CODE(cs().update(kB, {d, 0, 0, 0, {}}, {}), Code::kNotFound);
}

TEST_F(NamespacedContentTest, WalkFiltersOnDigestSizeAndLabels) {
  const std::string one = sha256_of("1");
  const std::string three = sha256_of("333");
  ASSERT_OK(put(kA, "1", {{"containerd.io/gc.root", "x"}, {"kind", "config"}}, "r1").status());
  ASSERT_OK(put(kA, "333", {{"kind", "layer"}}, "r3").status());
  ASSERT_OK(put(kB, "other-namespace", {{"kind", "layer"}}).status());

  EXPECT_EQ(walked(kA).size(), 2u);
  EXPECT_EQ(walked(kA, {"digest==" + three}), std::vector<std::string>{three});
  EXPECT_EQ(walked(kA, {"size==1"}), std::vector<std::string>{one});
  EXPECT_EQ(walked(kA, {"labels.kind==layer"}), std::vector<std::string>{three});
  EXPECT_EQ(walked(kA, {R"(labels."containerd.io/gc.root")"}), std::vector<std::string>{one});
  EXPECT_EQ(walked(kA, {"labels.kind==layer", "size==1"}).size(), 2u);
  EXPECT_TRUE(walked(kA, {"labels.kind==layer,size==1"}).empty());
  EXPECT_CODE(cs().walk(kA, {"labels.kind=="}, [](const ContentInfo&) { return true; }),
              Code::kInvalidArgument);

  // Labels come with the walked info; fn can stop the walk.
  int seen = 0;
  ASSERT_OK(cs().walk(kA, {"digest==" + one}, [&](const ContentInfo& i) {
    EXPECT_EQ(i.labels.at("kind"), "config");
    EXPECT_EQ(i.size, 1);
    ++seen;
    return true;
  }));
  EXPECT_EQ(seen, 1);
  seen = 0;
  ASSERT_OK(cs().walk(kA, {}, [&](const ContentInfo&) { return ++seen < 1; }));
  EXPECT_EQ(seen, 1);
}

// ---------------------------------------------------------------- remove

TEST_F(NamespacedContentTest, RemoveKeepsTheBlobWhileAnotherNamespaceHoldsIt) {
  const std::string data = "held twice";
  const std::string d = sha256_of(data);
  ASSERT_OK(put(kA, data).status());
  ASSERT_OK(put(kB, data).status());

  ASSERT_OK(cs().remove(kA, d));
  EXPECT_CODE(cs().info(kA, d), Code::kNotFound);
  EXPECT_CODE(cs().remove(kA, d), Code::kNotFound);
  EXPECT_TRUE(backend_->info(d).ok());
  EXPECT_EQ(read(kB, d).value(), data);

  ASSERT_OK(cs().remove(kB, d));
  EXPECT_CODE(cs().info(kB, d), Code::kNotFound);
  // The blob itself waits for the garbage collector (gc_test.cpp).
  EXPECT_TRUE(backend_->info(d).ok());

  // And it can come back.
  ASSERT_OK(put(kA, data).status());
  EXPECT_EQ(read(kA, d).value(), data);
}

// ---------------------------------------------------------------- ingests

TEST_F(NamespacedContentTest, IngestsBelongToTheirNamespace) {
  auto wa = cs().writer(kA, "same-ref", 10, "");
  ASSERT_TRUE(wa.ok()) << wa.status().to_string();
  ASSERT_OK((*wa)->write("aaaa"));
  // The same ref in another namespace is another ingest, not Unavailable.
  auto wb = cs().writer(kB, "same-ref", 0, "");
  ASSERT_TRUE(wb.ok()) << wb.status().to_string();
  ASSERT_OK((*wb)->write("bb"));
  auto wb2 = cs().writer(kB, "b-only", 0, "");
  ASSERT_TRUE(wb2.ok());

  auto sa = (*wa)->status();
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa->ref, "same-ref");
  EXPECT_EQ(sa->offset, 4);
  EXPECT_EQ(sa->total, 10);

  auto status_a = cs().status(kA, "same-ref");
  ASSERT_TRUE(status_a.ok()) << status_a.status().to_string();
  EXPECT_EQ(status_a->ref, "same-ref");
  EXPECT_EQ(status_a->offset, 4);
  auto status_b = cs().status(kB, "same-ref");
  ASSERT_TRUE(status_b.ok());
  EXPECT_EQ(status_b->offset, 2);
  auto missing = cs().status(kA, "b-only");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "ingest ref \"b-only\": not found");

  auto list_a = cs().list_statuses(kA, {});
  ASSERT_TRUE(list_a.ok());
  ASSERT_EQ(list_a->size(), 1u);
  EXPECT_EQ((*list_a)[0].ref, "same-ref");
  auto list_b = cs().list_statuses(kB, {});
  ASSERT_TRUE(list_b.ok());
  ASSERT_EQ(list_b->size(), 2u);
  EXPECT_EQ((*list_b)[0].ref, "b-only");
  EXPECT_EQ((*list_b)[1].ref, "same-ref");
  auto filtered = cs().list_statuses(kB, {"ref~=^b-"});
  ASSERT_TRUE(filtered.ok()) << filtered.status().to_string();
  ASSERT_EQ(filtered->size(), 1u);
  EXPECT_EQ((*filtered)[0].ref, "b-only");
  EXPECT_CODE(cs().list_statuses(kB, {"ref=="}), Code::kInvalidArgument);

  // Abort sees only the namespace's own; a held ref is Unavailable.
  EXPECT_CODE(cs().abort(kA, "b-only"), Code::kNotFound);
  EXPECT_CODE(cs().abort(kB, "b-only"), Code::kUnavailable);
  wb2->reset();
  ASSERT_OK(cs().abort(kB, "b-only"));
  EXPECT_CODE(cs().status(kB, "b-only"), Code::kNotFound);

  // Resuming after close picks up at the offset.
  wa->reset();
  auto resumed = cs().writer(kA, "same-ref", 10, "");
  ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
  EXPECT_EQ((*resumed)->status()->offset, 4);
  ASSERT_OK((*resumed)->write("aaaaaa"));
  ASSERT_OK((*resumed)->commit(10, sha256_of("aaaaaaaaaa")).status());
  EXPECT_CODE(cs().status(kA, "same-ref"), Code::kNotFound);
  EXPECT_TRUE(cs().list_statuses(kA, {})->empty());
  EXPECT_EQ(cs().status(kB, "same-ref")->offset, 2);
}

// ---------------------------------------------------------------- leases

TEST_F(NamespacedContentTest, ContentWrittenUnderALeaseIsHeldByIt) {
  ASSERT_OK(create_lease("a", "pull"));
  const ContentScope leased{"a", "pull"};
  const std::string data = "leased blob";
  const std::string d = sha256_of(data);

  auto w = cs().writer(leased, "layer-ref", 0, d);
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(resources("a", "pull"), (std::vector<LeaseResource>{{"layer-ref", "ingests"}}));
  ASSERT_OK((*w)->write(data));
  ASSERT_OK((*w)->commit(static_cast<int64_t>(data.size()), d).status());
  EXPECT_EQ(resources("a", "pull"), (std::vector<LeaseResource>{{d, "content"}}));

  // Recording an existing blob in another namespace under its lease.
  ASSERT_OK(create_lease("b", "pull-b"));
  auto wb = cs().writer({"b", "pull-b"}, "r", 0, d);
  ASSERT_TRUE(wb.ok());
  ASSERT_OK((*wb)->commit(0, d).status());
  EXPECT_EQ(resources("b", "pull-b"), (std::vector<LeaseResource>{{d, "content"}}));

  // An aborted ingest is no longer held.
  {
    auto aborted = cs().writer(leased, "to-abort", 0, "");
    ASSERT_TRUE(aborted.ok()) << aborted.status().to_string();
    ASSERT_OK((*aborted)->write("partial"));
  }
  EXPECT_EQ(resources("a", "pull"), (std::vector<LeaseResource>{{d, "content"}, {"to-abort", "ingests"}}));
  ASSERT_OK(cs().abort(kA, "to-abort"));
  EXPECT_EQ(resources("a", "pull"), (std::vector<LeaseResource>{{d, "content"}}));
}

TEST_F(NamespacedContentTest, ABlobTheNamespaceHasAlreadyIsHeldByTheLeaseThatAsksForIt) {
  // Recorded with no lease, as an earlier transfer that failed leaves it:
  // the garbage collector would take it before a second transfer's image
  // names it unless that transfer's lease holds it.
  const std::string data = "left by an earlier transfer";
  const std::string d = sha256_of(data);
  ASSERT_OK(put(kA, data).status());
  ASSERT_OK(create_lease("a", "retry"));
  const ContentScope leased{"a", "retry"};

  auto skipped = cs().writer(leased, "by-digest", 0, d);
  ASSERT_FALSE(skipped.ok());
  EXPECT_EQ(skipped.status().code(), Code::kAlreadyExists) << skipped.status().to_string();
  EXPECT_EQ(resources("a", "retry"), (std::vector<LeaseResource>{{d, "content"}}));

  // The same when the digest is known only at commit.
  ASSERT_OK(create_lease("a", "late"));
  auto w = cs().writer({"a", "late"}, "no-expected", 0, "");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_OK((*w)->write(data));
  EXPECT_CODE((*w)->commit(0, ""), Code::kAlreadyExists);
  EXPECT_EQ(resources("a", "late"), (std::vector<LeaseResource>{{d, "content"}}));
  EXPECT_CODE(cs().status(kA, "no-expected"), Code::kNotFound);

  // An unknown lease is still NotFound, and holds nothing.
  EXPECT_CODE(cs().writer({"a", "no-such-lease"}, "r", 0, d), Code::kNotFound);
}

TEST_F(NamespacedContentTest, AnUnknownLeaseIsNotFoundAndNothingIsCommitted) {
  const ContentScope leased{"a", "no-such-lease"};
  EXPECT_CODE(cs().writer(leased, "r", 0, ""), Code::kNotFound);

  // The lease vanishes while the writer is open.
  ASSERT_OK(create_lease("a", "short"));
  const std::string data = "never committed";
  const std::string d = sha256_of(data);
  auto w = cs().writer({"a", "short"}, "r", 0, "");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  ASSERT_OK((*w)->write(data));
  ASSERT_OK(md_->update([&](Transaction& tx) { return leases_.remove(tx, "a", "short"); }));
  auto committed = (*w)->commit(0, d);
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.status().code(), Code::kNotFound) << committed.status().to_string();
  EXPECT_CODE(cs().info(kA, d), Code::kNotFound);
  EXPECT_CODE(backend_->info(d), Code::kNotFound);
  // The ingest is still there to retry under another lease.
  EXPECT_EQ(cs().status(kA, "r")->offset, static_cast<int64_t>(data.size()));
}

// ---------------------------------------------------------------- persistence

TEST_F(NamespacedContentTest, RecordsAndIngestsSurviveReopening) {
  const std::string d = sha256_of("kept");
  ASSERT_OK(put(kA, "kept", {{"k", "v"}}).status());
  {
    auto w = cs().writer(kB, "partial", 0, "");
    ASSERT_TRUE(w.ok());
    ASSERT_OK((*w)->write("par"));
  }
  reopen();
  auto info = cs().info(kA, d);
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->labels, (Labels{{"k", "v"}}));
  EXPECT_EQ(info->size, 4);
  EXPECT_CODE(cs().info(kB, d), Code::kNotFound);
  EXPECT_EQ(cs().status(kB, "partial")->offset, 3);
  EXPECT_EQ(read(kA, d).value(), "kept");
}

TEST_F(NamespacedContentTest, RecordsUseTheDocumentedKeys) {
  const std::string d = sha256_of("keys");
  ASSERT_OK(put(kA, "keys", {{"l", "v"}}).status());
  EXPECT_EQ(keys::blob_key("a", d, keys::kBlobSize), "v1/ns/a/content/blobs/" + d + "\0size"s);
  EXPECT_EQ(keys::content_backend_ref("a", "r/x"), "a/r/x");
  ASSERT_OK(md_->view([&](Transaction& tx) {
    auto size = tx.get(keys::blob_key("a", d, keys::kBlobSize));
    EXPECT_TRUE(size.ok() && size->has_value() && **size == "4");
    auto label = tx.get(keys::blob_labels_prefix("a", d) + "l");
    EXPECT_TRUE(label.ok() && label->has_value() && **label == "v");
    return Status();
  }));
}

}  // namespace
}  // namespace berth::metadata
