// Leases in the RocksDB metadata store: containerd's semantics for leases and
// the resources they hold, their key layout, and how they live and die with
// their namespace.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "clock/clock.hpp"
#include "db_fixture.hpp"
#include "keys.hpp"
#include "lease_store.hpp"
#include "namespace_store.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth {
// Lets gtest print resources in failure messages.
inline void PrintTo(const LeaseResource& r, std::ostream* os) {
  *os << "{" << r.type << " " << metadata::keys::printable(r.id) << "}";
}
}  // namespace berth

namespace berth::metadata {
namespace {

using namespace std::string_literals;
using Resources = std::vector<LeaseResource>;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kExpire = "containerd.io/gc.expire";

// ---------------------------------------------------------------- key layout

TEST(MetadataLeaseKeys, LayoutIsAsDocumented) {
  EXPECT_EQ(keys::lease_created_at_key("ns", "l1"), "v1/ns/ns/leases/l1\0created_at"s);
  EXPECT_EQ(keys::lease_label_key("ns", "l1", kExpire),
            "v1/ns/ns/leases/l1\0labels\0containerd.io/gc.expire"s);
  EXPECT_EQ(keys::lease_resource_key("ns", "l1", "snapshots/overlayfs", "layer/1"),
            "v1/ns/ns/leases/l1\0resources\0snapshots/overlayfs\0layer/1"s);
  // Everything of a lease, resources included, sits under its object prefix,
  // which sits under the leases kind.
  const std::string object = keys::object_prefix(keys::kind_prefix("ns", keys::kLeases), "l1");
  EXPECT_TRUE(keys::lease_resources_prefix("ns", "l1").starts_with(object));
  EXPECT_TRUE(keys::lease_labels_prefix("ns", "l1").starts_with(object));
  EXPECT_TRUE(keys::lease_created_at_key("ns", "l1").starts_with(object));
  EXPECT_FALSE(keys::lease_resource_key("ns", "l1.b", "content", kDigestA).starts_with(object));
}

TEST(MetadataLeaseKeys, FieldsParseBack) {
  const std::string leases = keys::kind_prefix("ns", keys::kLeases);
  const std::string key = keys::lease_resource_key("ns", "l1", "snapshots/native", "a/b\xff");
  auto object = keys::parse_object_key(leases, key);
  ASSERT_TRUE(object.has_value());
  EXPECT_EQ(object->id, "l1");
  auto field = keys::parse_lease_resource_field(object->field);
  ASSERT_TRUE(field.has_value());
  EXPECT_EQ(field->type, "snapshots/native");
  EXPECT_EQ(field->resource, "a/b\xff");

  EXPECT_EQ(keys::parse_lease_label_field("labels\0containerd.io/gc.expire"s), kExpire);
  EXPECT_EQ(keys::parse_lease_label_field("labels\0a\0b"s), "a\0b"s);
  EXPECT_FALSE(keys::parse_lease_label_field("labelsX\0a"s).has_value());
  EXPECT_FALSE(keys::parse_lease_label_field("labels"s).has_value());
  EXPECT_FALSE(keys::parse_lease_label_field(keys::kLeaseCreatedAt).has_value());
  EXPECT_FALSE(keys::parse_lease_label_field("resources\0content\0x"s).has_value());

  EXPECT_FALSE(keys::parse_lease_resource_field(keys::kLeaseCreatedAt).has_value());
  EXPECT_FALSE(keys::parse_lease_resource_field("labels\0resources"s).has_value());
  EXPECT_FALSE(keys::parse_lease_resource_field("resources"s).has_value());
  EXPECT_FALSE(keys::parse_lease_resource_field("resourcesX\0content\0x"s).has_value());
  EXPECT_FALSE(keys::parse_lease_resource_field("resources\0content"s).has_value());
  EXPECT_FALSE(keys::parse_lease_resource_field("resources\0\0x"s).has_value());
}

// ---------------------------------------------------------------- fixture

class MetadataLeases : public test::DbFixture {
 protected:
  LeaseStore& leases() { return leases_; }

  // Runs `fn` in a read-only transaction and hands back what it returned.
  template <class F>
  auto viewed(F&& fn) -> decltype(fn(std::declval<Transaction&>())) {
    using R = decltype(fn(std::declval<Transaction&>()));
    std::optional<R> out;
    Status st = md_->view([&](Transaction& tx) {
      out.emplace(fn(tx));
      return ok_status();
    });
    if (!st.ok()) return st;
    return std::move(*out);
  }

  Result<Lease> create(const std::string& ns, const std::string& id, Labels labels = {}) {
    Result<Lease> out = internal("update did not run");
    Status st = md_->update([&](Transaction& tx) {
      out = leases().create(tx, ns, Lease{id, 0, labels});
      return out.ok() ? ok_status() : out.status();
    });
    if (!st.ok()) return st;
    return out;
  }
  Result<Lease> get(const std::string& ns, const std::string& id) {
    return viewed([&](Transaction& tx) { return leases().get(tx, ns, id); });
  }
  Result<std::vector<Lease>> list(const std::string& ns, const std::vector<std::string>& filters = {}) {
    return viewed([&](Transaction& tx) { return leases().list(tx, ns, filters); });
  }
  std::vector<std::string> ids(const std::string& ns, const std::vector<std::string>& filters = {}) {
    std::vector<std::string> out;
    auto all = list(ns, filters);
    EXPECT_TRUE(all.ok()) << all.status().to_string();
    if (all.ok()) {
      for (const auto& l : *all) out.push_back(l.id);
    }
    return out;
  }
  Status remove(const std::string& ns, const std::string& id) {
    return md_->update([&](Transaction& tx) { return leases().remove(tx, ns, id); });
  }
  Status add(const std::string& ns, const std::string& id, const LeaseResource& r) {
    return md_->update([&](Transaction& tx) { return leases().add_resource(tx, ns, id, r); });
  }
  Status del(const std::string& ns, const std::string& id, const LeaseResource& r) {
    return md_->update([&](Transaction& tx) { return leases().delete_resource(tx, ns, id, r); });
  }
  Result<Resources> resources(const std::string& ns, const std::string& id) {
    return viewed([&](Transaction& tx) { return leases().list_resources(tx, ns, id); });
  }
  // The resources of a lease that must exist.
  Resources held(const std::string& ns, const std::string& id) {
    auto r = resources(ns, id);
    EXPECT_TRUE(r.ok()) << ns << "/" << id << ": " << r.status().to_string();
    return r.ok() ? *r : Resources{};
  }
  KvLeaseStore leases_;
  KvNamespaceStore namespaces_;
};

// ---------------------------------------------------------------- leases

TEST_F(MetadataLeases, CreateGetList) {
  const int64_t before = clock::now_ns();
  auto created = create("default", "pull-1", {{kExpire, "2030-01-01T00:00:00Z"}, {"a", "1"}});
  const int64_t after = clock::now_ns();
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  EXPECT_EQ(created->id, "pull-1");
  EXPECT_GE(created->created_at, before);
  EXPECT_LE(created->created_at, after);
  EXPECT_EQ(created->labels, (Labels{{kExpire, "2030-01-01T00:00:00Z"}, {"a", "1"}}));

  auto got = get("default", "pull-1");
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->id, "pull-1");
  EXPECT_EQ(got->created_at, created->created_at);
  EXPECT_EQ(got->labels, created->labels);

  ASSERT_TRUE(create("default", "b").ok());
  ASSERT_TRUE(create("default", "A").ok());
  auto all = list("default");
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "A");
  EXPECT_EQ((*all)[1].id, "b");
  EXPECT_EQ((*all)[2].id, "pull-1");
  EXPECT_TRUE((*all)[0].labels.empty());
  EXPECT_EQ((*all)[2].labels, created->labels);
  EXPECT_EQ((*all)[2].created_at, created->created_at);
}

TEST_F(MetadataLeases, CreateMakesTheNamespaceImplicitly) {
  ASSERT_TRUE(create("fresh", "l").ok());
  auto ns = viewed([&](Transaction& tx) { return namespaces_.get(tx, "fresh"); });
  ASSERT_TRUE(ns.ok()) << ns.status().to_string();
  EXPECT_TRUE(ns->labels.empty());

  // An existing namespace keeps its labels.
  ASSERT_OK(md_->update([&](Transaction& tx) { return namespaces_.create(tx, {"labelled", {{"k", "v"}}}); }));
  ASSERT_TRUE(create("labelled", "l").ok());
  auto labelled = viewed([&](Transaction& tx) { return namespaces_.get(tx, "labelled"); });
  ASSERT_TRUE(labelled.ok());
  EXPECT_EQ(labelled->labels, (Labels{{"k", "v"}}));
}

TEST_F(MetadataLeases, EmptyLabelValuesAreDropped) {
  auto created = create("default", "l", {{"kept", "1"}, {"dropped", ""}});
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  EXPECT_EQ(created->labels, (Labels{{"kept", "1"}}));
  EXPECT_EQ(get("default", "l")->labels, (Labels{{"kept", "1"}}));
}

TEST_F(MetadataLeases, DuplicateCreateIsAlreadyExists) {
  ASSERT_TRUE(create("default", "dup", {{"first", "1"}}).ok());
  auto again = create("default", "dup", {{"second", "2"}});
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "lease \"dup\": already exists");
  EXPECT_EQ(get("default", "dup")->labels, (Labels{{"first", "1"}}));
}

TEST_F(MetadataLeases, EmptyIdsAndIdsHoldingNulAreRejected) {
  for (const std::string& bad : {""s, "a\0b"s, "a\0created_at"s, "\0"s}) {
    auto r = create("default", bad);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument)
        << keys::printable(bad) << ": " << r.status().to_string();
    EXPECT_EQ(get("default", bad).status().code(), Code::kInvalidArgument) << keys::printable(bad);
    EXPECT_EQ(remove("default", bad).code(), Code::kInvalidArgument) << keys::printable(bad);
    EXPECT_EQ(add("default", bad, {kDigestA, "content"}).code(), Code::kInvalidArgument);
    EXPECT_EQ(del("default", bad, {kDigestA, "content"}).code(), Code::kInvalidArgument);
    EXPECT_EQ(resources("default", bad).status().code(), Code::kInvalidArgument);
  }
  EXPECT_EQ(create("default", "").status().message(), "lease id must be provided");
  EXPECT_TRUE(ids("default").empty());
}

TEST_F(MetadataLeases, IdsNeedNotBeIdentifiers) {
  // containerd accepts any non-empty lease id, and its clients pick ids like
  // these for every pull (leases.WithRandomID): "<nanoseconds>-<4 base64url>".
  const std::vector<std::string> accepted = {
      "123456789-a_-B", "42-_abc", "42-abc-", "42-ab__", "a/b", "a", "with space", std::string(200, 'x'),
  };
  for (const auto& id : accepted) {
    ASSERT_TRUE(create("default", id, {{"id", id}}).ok()) << id;
    ASSERT_OK(add("default", id, {id, "ingests"}));
  }
  auto sorted = accepted;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(ids("default"), sorted);
  for (const auto& id : accepted) {
    EXPECT_EQ(get("default", id)->labels, (Labels{{"id", id}})) << id;
    EXPECT_EQ(held("default", id), (Resources{{id, "ingests"}})) << id;
  }
  // "a" and "a/b" share a prefix; removing one leaves the other whole.
  ASSERT_OK(remove("default", "a"));
  EXPECT_EQ(held("default", "a/b"), (Resources{{"a/b", "ingests"}}));
  EXPECT_EQ(ids("default", {"id==\"a/b\""}), (std::vector<std::string>{"a/b"}));
}

TEST_F(MetadataLeases, InvalidNamespacesAreRejected) {
  // The namespace becomes a key component, and must be an identifier.
  for (const std::string& bad : {""s, "a/b"s, "default/leases/x"s, "-a"s}) {
    EXPECT_EQ(create(bad, "l").status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(get(bad, "l").status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(list(bad).status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(add(bad, "l", {"r", "ingests"}).code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(scan_keys("v1/").empty());
}

TEST_F(MetadataLeases, InvalidLabelsAreRejected) {
  auto r = create("default", "l", {{"", "v"}});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().to_string();
  r = create("default", "l", {{"k", std::string(4096, 'v')}});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().to_string();
  EXPECT_TRUE(r.status().message().starts_with("lease.Labels: ")) << r.status().message();
  EXPECT_EQ(get("default", "l").status().code(), Code::kNotFound);
  // A refused create leaves no trace, not even the implicit namespace.
  EXPECT_TRUE(scan_keys("v1/").empty());
  EXPECT_TRUE(create("default", "l", {{"k", std::string(4095, 'v')}}).ok());
}

TEST_F(MetadataLeases, MissingLeaseIsNotFound) {
  ASSERT_TRUE(create("default", "other").ok());
  auto got = get("default", "nope");
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_EQ(got.status().message(), "lease \"nope\": not found");
  Status st = remove("default", "nope");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.message(), "lease \"nope\": not found");
  st = add("default", "nope", {kDigestA, "content"});
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.message(), "lease \"nope\": not found");
  EXPECT_EQ(del("default", "nope", {kDigestA, "content"}).code(), Code::kNotFound);
  EXPECT_EQ(resources("default", "nope").status().code(), Code::kNotFound);
  // A namespace nobody created has no leases, rather than being an error.
  EXPECT_EQ(get("elsewhere", "other").status().code(), Code::kNotFound);
  EXPECT_TRUE(ids("elsewhere").empty());
  // add_resource must not have created the lease as a side effect.
  EXPECT_EQ(ids("default"), (std::vector<std::string>{"other"}));
  EXPECT_TRUE(scan_keys(keys::object_prefix(keys::kind_prefix("default", keys::kLeases), "nope")).empty());
}

TEST_F(MetadataLeases, CreateAndRemoveRollBackWithTheirTransaction) {
  Status st = md_->update([&](Transaction& tx) {
    EXPECT_TRUE(leases().create(tx, "ns", Lease{"l", 0, {{"a", "1"}}}).ok());
    EXPECT_OK(leases().add_resource(tx, "ns", "l", {kDigestA, "content"}));
    // Reads inside the transaction see its own writes.
    auto inside = leases().list_resources(tx, "ns", "l");
    EXPECT_TRUE(inside.ok() && inside->size() == 1u) << inside.status().to_string();
    return aborted("changed my mind");
  });
  EXPECT_EQ(st.code(), Code::kAborted);
  EXPECT_EQ(get("ns", "l").status().code(), Code::kNotFound);
  EXPECT_TRUE(scan_keys("v1/").empty());

  ASSERT_TRUE(create("ns", "l").ok());
  st = md_->update([&](Transaction& tx) {
    EXPECT_OK(leases().remove(tx, "ns", "l"));
    return aborted("no");
  });
  EXPECT_TRUE(get("ns", "l").ok());
}

TEST_F(MetadataLeases, WritesNeedAWritableTransaction) {
  ASSERT_TRUE(create("ns", "l").ok());
  ASSERT_OK(md_->view([&](Transaction& tx) {
    EXPECT_EQ(leases().create(tx, "ns", Lease{"m", 0, {}}).status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(leases().add_resource(tx, "ns", "l", {kDigestA, "content"}).code(), Code::kFailedPrecondition);
    EXPECT_EQ(leases().remove(tx, "ns", "l").code(), Code::kFailedPrecondition);
    return ok_status();
  }));
  EXPECT_EQ(ids("ns"), (std::vector<std::string>{"l"}));
}

// ---------------------------------------------------------------- filters

class MetadataLeaseFilters : public MetadataLeases {
 protected:
  void SetUp() override {
    MetadataLeases::SetUp();
    ASSERT_TRUE(create("ns", "pull-1", {{kExpire, "2030-01-01T00:00:00Z"}, {"owner", "ctr"}}).ok());
    ASSERT_TRUE(create("ns", "pull-2", {{kExpire, "2020-01-01T00:00:00Z"}}).ok());
    ASSERT_TRUE(create("ns", "keep", {{"owner", "cri"}, {"a.b", "dotted"}}).ok());
    ASSERT_TRUE(create("ns", "plain").ok());
  }
};

TEST_F(MetadataLeaseFilters, NoFilterMatchesAll) {
  EXPECT_EQ(ids("ns"), (std::vector<std::string>{"keep", "plain", "pull-1", "pull-2"}));
}

TEST_F(MetadataLeaseFilters, ById) {
  EXPECT_EQ(ids("ns", {"id==pull-1"}), (std::vector<std::string>{"pull-1"}));
  EXPECT_EQ(ids("ns", {"id!=pull-1"}), (std::vector<std::string>{"keep", "plain", "pull-2"}));
  EXPECT_TRUE(ids("ns", {"id==absent"}).empty());
  EXPECT_EQ(ids("ns", {"id"}).size(), 4u);
}

TEST_F(MetadataLeaseFilters, ByLabel) {
  EXPECT_EQ(ids("ns", {"labels.\"containerd.io/gc.expire\""}),
            (std::vector<std::string>{"pull-1", "pull-2"}));
  EXPECT_EQ(ids("ns", {"labels.\"containerd.io/gc.expire\"==2020-01-01T00:00:00Z"}),
            (std::vector<std::string>{"pull-2"}));
  EXPECT_EQ(ids("ns", {"labels.owner==cri"}), (std::vector<std::string>{"keep"}));
  // != also matches leases without the label, as in containerd.
  EXPECT_EQ(ids("ns", {"labels.owner!=cri"}), (std::vector<std::string>{"plain", "pull-1", "pull-2"}));
  // An unquoted dotted key is joined back together, as containerd does.
  EXPECT_EQ(ids("ns", {"labels.a.b==dotted"}), (std::vector<std::string>{"keep"}));
  EXPECT_EQ(ids("ns", {"labels.\"a.b\""}), (std::vector<std::string>{"keep"}));
  EXPECT_TRUE(ids("ns", {"labels"}).empty());
  EXPECT_TRUE(ids("ns", {"unknown==x"}).empty());
}

TEST_F(MetadataLeaseFilters, ByRegex) {
  EXPECT_EQ(ids("ns", {"id~=^pull-"}), (std::vector<std::string>{"pull-1", "pull-2"}));
  EXPECT_EQ(ids("ns", {"labels.\"containerd.io/gc.expire\"~=^2030"}), (std::vector<std::string>{"pull-1"}));
  EXPECT_EQ(ids("ns", {"id~=a"}), (std::vector<std::string>{"plain"}));
}

TEST_F(MetadataLeaseFilters, FiltersAreAlternativesAndSelectorsConjunctions) {
  EXPECT_EQ(ids("ns", {"id==plain", "labels.owner==cri"}), (std::vector<std::string>{"keep", "plain"}));
  EXPECT_EQ(ids("ns", {"id~=^pull-,labels.owner==ctr"}), (std::vector<std::string>{"pull-1"}));
  EXPECT_EQ(ids("ns", {"id~=^pull-,labels.owner==ctr", "id==keep", "id==keep"}),
            (std::vector<std::string>{"keep", "pull-1"}));
}

TEST_F(MetadataLeaseFilters, SyntaxErrorIsInvalidArgument) {
  for (const std::string& bad : {"id=="s, "id=pull"s, "labels.\"unterminated"s, "id~=("s, ""s, "id==a,"s}) {
    auto r = list("ns", {"id==keep", bad});
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad << ": " << r.status().to_string();
  }
}

// ---------------------------------------------------------------- resources

TEST_F(MetadataLeases, ResourcesOfEachTypeAreAddedListedAndDeleted) {
  ASSERT_TRUE(create("ns", "l").ok());
  const Resources added = {
      {"layer/2", "snapshots/overlayfs"},     {kDigestB, "content"}, {"default-1/manifest", "ingests"},
      {"sha256-extract", "snapshots/native"}, {kDigestA, "content"}, {"layer/1", "snapshots/overlayfs"},
  };
  for (const auto& r : added) ASSERT_OK(add("ns", "l", r));
  auto listed = resources("ns", "l");
  ASSERT_TRUE(listed.ok()) << listed.status().to_string();
  const Resources sorted = {
      {kDigestA, "content"},
      {kDigestB, "content"},
      {"default-1/manifest", "ingests"},
      {"sha256-extract", "snapshots/native"},
      {"layer/1", "snapshots/overlayfs"},
      {"layer/2", "snapshots/overlayfs"},
  };
  EXPECT_EQ(*listed, sorted);

  ASSERT_OK(del("ns", "l", {kDigestB, "content"}));
  ASSERT_OK(del("ns", "l", {"layer/1", "snapshots/overlayfs"}));
  ASSERT_OK(del("ns", "l", {"default-1/manifest", "ingests"}));
  EXPECT_EQ(held("ns", "l"), (Resources{{kDigestA, "content"},
                                        {"sha256-extract", "snapshots/native"},
                                        {"layer/2", "snapshots/overlayfs"}}));
  // Resources are not part of the lease record.
  EXPECT_TRUE(get("ns", "l")->labels.empty());
}

TEST_F(MetadataLeases, ResourcesSortByTypeThenId) {
  ASSERT_TRUE(create("ns", "l").ok());
  // Types where one is a prefix of another, and ids with bytes above 0x7f,
  // must still come out as a sort on (type, id) would put them.
  Resources added = {
      {"k", "snapshots/ab"}, {"z", "snapshots/a"}, {"a", "snapshots/a-b"}, {"b\xff", "ingests"},
      {"b", "ingests"},      {"b/c", "ingests"},   {"\x01", "ingests"},    {"k", "snapshots/a0"},
  };
  for (const auto& r : added) ASSERT_OK(add("ns", "l", r));
  std::sort(added.begin(), added.end(), [](const LeaseResource& x, const LeaseResource& y) {
    return std::tie(x.type, x.id) < std::tie(y.type, y.id);
  });
  EXPECT_EQ(held("ns", "l"), added);
}

TEST_F(MetadataLeases, AddingAndDeletingAreIdempotent) {
  ASSERT_TRUE(create("ns", "l").ok());
  ASSERT_OK(add("ns", "l", {kDigestA, "content"}));
  ASSERT_OK(add("ns", "l", {kDigestA, "content"}));
  ASSERT_OK(add("ns", "l", {"k", "snapshots/overlayfs"}));
  ASSERT_OK(add("ns", "l", {"k", "snapshots/overlayfs"}));
  EXPECT_EQ(held("ns", "l"), (Resources{{kDigestA, "content"}, {"k", "snapshots/overlayfs"}}));

  ASSERT_OK(del("ns", "l", {kDigestA, "content"}));
  ASSERT_OK(del("ns", "l", {kDigestA, "content"}));
  ASSERT_OK(del("ns", "l", {"never-added", "ingests"}));
  ASSERT_OK(del("ns", "l", {"k", "snapshots/native"}));  // same key, other snapshotter
  EXPECT_EQ(held("ns", "l"), (Resources{{"k", "snapshots/overlayfs"}}));
}

TEST_F(MetadataLeases, UnsupportedResourceTypesAreRejected) {
  ASSERT_TRUE(create("ns", "l").ok());
  for (const std::string& type : {""s, "images"s, "contents"s, "Content"s, "content/blobs"s, "ingests/x"s,
                                  "leases"s, "snapshot/overlayfs"s}) {
    Status st = add("ns", "l", {"x", type});
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << type << ": " << st.to_string();
    EXPECT_EQ(st.message(), "unsupported resource type \"" + type + "\"");
    EXPECT_EQ(del("ns", "l", {"x", type}).code(), Code::kInvalidArgument) << type;
  }
  // "snapshots/<snapshotter>" needs one snapshotter, an identifier.
  for (const std::string& type :
       {"snapshots"s, "snapshots/"s, "snapshots/a/b"s, "snapshots/-x"s, "snapshots/a\0b"s}) {
    Status st = add("ns", "l", {"k", type});
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << keys::printable(type) << ": " << st.to_string();
  }
  // Checked before the lease is looked up.
  EXPECT_EQ(add("ns", "absent", {"x", "images"}).code(), Code::kInvalidArgument);
  EXPECT_TRUE(held("ns", "l").empty());
}

TEST_F(MetadataLeases, ResourceIdsAreChecked) {
  ASSERT_TRUE(create("ns", "l").ok());
  for (const std::string& bad :
       {""s, "sha256:abc"s, "sha512:"s + std::string(128, 'a'), "md5:x"s, std::string(64, 'a'),
        "sha256:" + std::string(64, 'A'), "sha256:" + std::string(63, 'a') + "g", kDigestA + "\0"s}) {
    Status st = add("ns", "l", {bad, "content"});
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << keys::printable(bad) << ": " << st.to_string();
    EXPECT_TRUE(st.message().starts_with("content resource: invalid digest")) << st.message();
    EXPECT_EQ(del("ns", "l", {bad, "content"}).code(), Code::kInvalidArgument);
  }
  EXPECT_EQ(add("ns", "l", {"", "ingests"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(add("ns", "l", {"", "snapshots/overlayfs"}).code(), Code::kInvalidArgument);
  // NUL separates the parts of a resource's key.
  EXPECT_EQ(add("ns", "l", {"ref\0x"s, "ingests"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(add("ns", "l", {"key\0x"s, "snapshots/overlayfs"}).code(), Code::kInvalidArgument);
  EXPECT_TRUE(held("ns", "l").empty());
  // Anything else non-empty is a valid ingest ref or snapshot key.
  ASSERT_OK(add("ns", "l", {"any ref/with:odd~chars", "ingests"}));
  ASSERT_OK(add("ns", "l", {"k8s.io/1/sha256:abc", "snapshots/overlayfs"}));
  EXPECT_EQ(held("ns", "l").size(), 2u);
}

TEST_F(MetadataLeases, RemoveTakesTheResourcesWithIt) {
  ASSERT_TRUE(create("ns", "l", {{"a", "1"}}).ok());
  ASSERT_TRUE(create("ns", "l.b", {{"b", "2"}}).ok());  // shares the id's prefix
  ASSERT_OK(add("ns", "l", {kDigestA, "content"}));
  ASSERT_OK(add("ns", "l", {"ref", "ingests"}));
  ASSERT_OK(add("ns", "l", {"k", "snapshots/overlayfs"}));
  ASSERT_OK(add("ns", "l.b", {kDigestB, "content"}));

  ASSERT_OK(remove("ns", "l"));
  EXPECT_EQ(get("ns", "l").status().code(), Code::kNotFound);
  EXPECT_TRUE(scan_keys(keys::object_prefix(keys::kind_prefix("ns", keys::kLeases), "l")).empty());
  EXPECT_EQ(ids("ns"), (std::vector<std::string>{"l.b"}));
  EXPECT_EQ(get("ns", "l.b")->labels, (Labels{{"b", "2"}}));
  EXPECT_EQ(held("ns", "l.b"), (Resources{{kDigestB, "content"}}));

  // The id is free again, with nothing of the old lease left.
  ASSERT_TRUE(create("ns", "l").ok());
  EXPECT_TRUE(get("ns", "l")->labels.empty());
  EXPECT_TRUE(held("ns", "l").empty());
  EXPECT_EQ(remove("ns", "l.b").code(), Code::kOk);
  EXPECT_EQ(remove("ns", "l.b").code(), Code::kNotFound);
}

TEST_F(MetadataLeases, PrefixSharingIdsStayApart) {
  const std::vector<std::string> names = {"a", "a-b", "a.b", "a0", "a_b", "ab"};
  for (const auto& id : names) {
    ASSERT_TRUE(create("ns", id, {{"name", id}}).ok()) << id;
    ASSERT_OK(add("ns", id, {id, "ingests"}));
  }
  auto all = list("ns");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ((*all)[i].id, names[i]);
    EXPECT_EQ((*all)[i].labels, (Labels{{"name", names[i]}}));
    EXPECT_EQ(held("ns", names[i]), (Resources{{names[i], "ingests"}}));
  }
}

TEST_F(MetadataLeases, NamespacesAreIsolated) {
  ASSERT_TRUE(create("one", "same", {{"ns", "one"}}).ok());
  ASSERT_TRUE(create("two", "same", {{"ns", "two"}}).ok());
  ASSERT_TRUE(create("one-b", "same", {{"ns", "one-b"}}).ok());  // shares "one"'s prefix
  ASSERT_OK(add("one", "same", {kDigestA, "content"}));
  ASSERT_OK(add("two", "same", {kDigestB, "content"}));
  ASSERT_TRUE(create("two", "only-two").ok());

  EXPECT_EQ(get("one", "same")->labels, (Labels{{"ns", "one"}}));
  EXPECT_EQ(get("two", "same")->labels, (Labels{{"ns", "two"}}));
  EXPECT_EQ(held("one", "same"), (Resources{{kDigestA, "content"}}));
  EXPECT_EQ(held("two", "same"), (Resources{{kDigestB, "content"}}));
  EXPECT_TRUE(held("one-b", "same").empty());
  EXPECT_EQ(ids("one"), (std::vector<std::string>{"same"}));
  EXPECT_EQ(ids("two"), (std::vector<std::string>{"only-two", "same"}));
  EXPECT_EQ(get("one", "only-two").status().code(), Code::kNotFound);

  ASSERT_OK(remove("one", "same"));
  EXPECT_EQ(get("one", "same").status().code(), Code::kNotFound);
  EXPECT_EQ(held("two", "same"), (Resources{{kDigestB, "content"}}));
  EXPECT_TRUE(get("one-b", "same").ok());
}

// ---------------------------------------------------------------- persistence and damage

TEST_F(MetadataLeases, LeasesSurviveReopen) {
  auto created = create("ns", "l", {{kExpire, "2030-01-01T00:00:00Z"}});
  ASSERT_TRUE(created.ok());
  ASSERT_OK(add("ns", "l", {kDigestA, "content"}));
  ASSERT_OK(add("ns", "l", {"k", "snapshots/overlayfs"}));
  ASSERT_OK(md_->close());
  md_.reset();

  md_ = open();
  ASSERT_TRUE(md_);
  auto got = get("ns", "l");
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->created_at, created->created_at);
  EXPECT_EQ(got->labels, created->labels);
  EXPECT_EQ(held("ns", "l"), (Resources{{kDigestA, "content"}, {"k", "snapshots/overlayfs"}}));
  EXPECT_EQ(ids("ns"), (std::vector<std::string>{"l"}));
}

TEST_F(MetadataLeases, UnreadableCreatedAtIsDataLoss) {
  ASSERT_TRUE(create("ns", "l").ok());
  ASSERT_OK(put(keys::lease_created_at_key("ns", "l"), "yesterday"));
  auto got = get("ns", "l");
  EXPECT_EQ(got.status().code(), Code::kDataLoss) << got.status().to_string();
  EXPECT_NE(got.status().message().find("lease \"l\""), std::string::npos) << got.status().message();
  EXPECT_EQ(list("ns").status().code(), Code::kDataLoss);
  // Removing the damaged lease still works.
  ASSERT_OK(remove("ns", "l"));
  EXPECT_TRUE(ids("ns").empty());
}

TEST_F(MetadataLeases, KeysWithoutACreatedAtAreNoLease) {
  // What a newer berthd or a half-written lease might leave: fields without
  // the created_at that marks a lease as existing.
  const std::string leases_prefix = keys::kind_prefix("ns", keys::kLeases);
  ASSERT_OK(put(keys::lease_label_key("ns", "ghost", "a"), "1"));
  ASSERT_OK(put(keys::object_key(leases_prefix, "ghost2", "future-field"), "x"));
  ASSERT_OK(put(leases_prefix + "no-terminator", "x"));
  ASSERT_TRUE(create("ns", "real").ok());
  ASSERT_OK(put(keys::object_key(leases_prefix, "real", "future-field"), "x"));
  EXPECT_EQ(ids("ns"), (std::vector<std::string>{"real"}));
  EXPECT_EQ(get("ns", "ghost").status().code(), Code::kNotFound);
  EXPECT_EQ(add("ns", "ghost", {"r", "ingests"}).code(), Code::kNotFound);
}

// ---------------------------------------------------------------- namespaces and the GC

TEST_F(MetadataLeases, RemovingTheNamespaceRemovesItsLeases) {
  ASSERT_TRUE(create("doomed", "l1", {{"a", "1"}}).ok());
  ASSERT_TRUE(create("doomed", "l2").ok());
  ASSERT_OK(add("doomed", "l1", {kDigestA, "content"}));
  ASSERT_OK(add("doomed", "l1", {"ref", "ingests"}));
  ASSERT_OK(add("doomed", "l2", {"k", "snapshots/overlayfs"}));
  ASSERT_TRUE(create("doomed-too", "l1").ok());  // shares the prefix, must survive

  // Leases do not hold a namespace up, as in containerd.
  ASSERT_OK(md_->update([&](Transaction& tx) { return namespaces_.remove(tx, "doomed"); }));
  EXPECT_TRUE(scan_keys(keys::namespace_objects_prefix("doomed")).empty());
  EXPECT_TRUE(ids("doomed").empty());
  EXPECT_EQ(get("doomed", "l1").status().code(), Code::kNotFound);
  EXPECT_TRUE(get("doomed-too", "l1").ok());

  // A lease recreated in a recreated namespace starts empty.
  ASSERT_TRUE(create("doomed", "l1").ok());
  EXPECT_TRUE(get("doomed", "l1")->labels.empty());
  EXPECT_TRUE(held("doomed", "l1").empty());
}

TEST_F(MetadataLeases, LeasesDoNotCountAsObjectsWhenANamespaceIsRefused) {
  ASSERT_TRUE(create("busy", "l").ok());
  // A lease's snapshot and content references are not snapshots or blobs of
  // the namespace.
  ASSERT_OK(add("busy", "l", {"k", "snapshots/overlayfs"}));
  ASSERT_OK(add("busy", "l", {kDigestA, "content"}));
  ASSERT_OK(put(keys::object_key(keys::kind_prefix("busy", keys::kContainers), "c1", "image"), "x"));
  Status st = md_->update([&](Transaction& tx) { return namespaces_.remove(tx, "busy"); });
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_EQ(st.message(), "namespace \"busy\" must be empty, but it still has containers");
  EXPECT_EQ(held("busy", "l").size(), 2u);
}

TEST_F(MetadataLeases, OneScanYieldsEveryLeaseWithLabelsBeforeResources) {
  // What the garbage collector will do: walk kind_prefix(ns, kLeases) once and
  // decide per lease, from its labels, whether its resources are roots.
  ASSERT_TRUE(create("ns", "expired", {{kExpire, "2000-01-01T00:00:00Z"}}).ok());
  ASSERT_TRUE(create("ns", "live").ok());
  ASSERT_OK(add("ns", "expired", {kDigestA, "content"}));
  ASSERT_OK(add("ns", "live", {kDigestB, "content"}));
  ASSERT_OK(add("ns", "live", {"k", "snapshots/native"}));
  ASSERT_OK(add("ns", "live", {"ref", "ingests"}));

  // (lease id, what the key holds)
  std::vector<std::pair<std::string, std::string>> seen;
  const std::string prefix = keys::kind_prefix("ns", keys::kLeases);
  ASSERT_OK(md_->view([&](Transaction& tx) {
    return tx.scan(prefix, [&](std::string_view key, std::string_view) {
      auto object = keys::parse_object_key(prefix, key);
      EXPECT_TRUE(object.has_value()) << keys::printable(key);
      if (!object) return false;
      if (auto r = keys::parse_lease_resource_field(object->field)) {
        seen.emplace_back(std::string(object->id), std::string(r->type) + " " + std::string(r->resource));
      } else {
        seen.emplace_back(std::string(object->id), keys::printable(object->field));
      }
      return true;
    });
  }));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"expired", "created_at"},
                      {"expired", "labels\\x00" + kExpire},
                      {"expired", "content " + kDigestA},
                      {"live", "created_at"},
                      {"live", "content " + kDigestB},
                      {"live", "ingests ref"},
                      {"live", "snapshots/native k"},
                  }));
}

}  // namespace
}  // namespace berth::metadata
