// The containers-service's records: containerd's semantics for create, get,
// list with filters, update by field mask and remove, its errors and
// messages, records holding arbitrary bytes, and the events announced.
#include "container_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "db_fixture.hpp"
#include "keys.hpp"

namespace berth::metadata {
namespace {

AnyValue spec(const std::string& bytes = std::string("\x0a\x00\xff{\"ociVersion\"}", 16)) {
  return AnyValue{"types.containerd.io/opencontainers/runtime-spec/1/Spec", bytes};
}

Container container(const std::string& id, Labels labels = {}) {
  Container c;
  c.id = id;
  c.labels = std::move(labels);
  c.image = "docker.io/library/busybox:latest";
  c.runtime.name = "io.containerd.runc.v2";
  c.runtime.options = AnyValue{"containerd.runc.v1.Options", std::string("\x12\x04runc", 6)};
  c.spec = spec();
  c.snapshotter = "overlayfs";
  c.snapshot_key = id;
  c.extensions["ext"] = AnyValue{"x.Y", std::string(1, '\0')};
  return c;
}

struct Recorder final : EventPublisher {
  Status publish(std::string_view ns, std::string_view topic, EventPayload event) override {
    std::string id = std::visit(
        [](const auto& e) {
          if constexpr (requires { e.id; }) return e.id;
          return std::string("?");
        },
        event);
    seen.push_back(std::string(ns) + " " + std::string(topic) + " " + id);
    last = std::move(event);
    return {};
  }
  std::vector<std::string> seen;
  EventPayload last;
};

class ContainerStoreTest : public test::DbFixture {
 protected:
  Result<Container> create(const std::string& ns, const Container& c) {
    Result<Container> out = internal("update did not run");
    Status st = md_->update([&](Transaction& tx) {
      out = store_.create(tx, ns, c);
      return out.status();
    });
    if (!st.ok()) return st;
    return out;
  }
  Result<Container> update(const std::string& ns, const Container& c, const std::vector<std::string>& paths) {
    Result<Container> out = internal("update did not run");
    Status st = md_->update([&](Transaction& tx) {
      out = store_.update(tx, ns, c, paths);
      return out.status();
    });
    if (!st.ok()) return st;
    return out;
  }
  Result<Container> get(const std::string& ns, const std::string& id) {
    Result<Container> out = internal("view did not run");
    EXPECT_OK(md_->view([&](Transaction& tx) {
      out = store_.get(tx, ns, id);
      return ok_status();
    }));
    return out;
  }
  std::vector<std::string> ids(const std::string& ns, const std::vector<std::string>& filters) {
    std::vector<std::string> out;
    EXPECT_OK(md_->view([&](Transaction& tx) -> Status {
      auto all = store_.list(tx, ns, filters);
      if (!all.ok()) return all.status();
      for (const auto& c : *all) out.push_back(c.id);
      return {};
    }));
    return out;
  }
  Status remove(const std::string& ns, const std::string& id) {
    return md_->update([&](Transaction& tx) { return store_.remove(tx, ns, id); });
  }

  std::shared_ptr<Recorder> events_ = std::make_shared<Recorder>();
  KvContainerStore store_{events_};
};

TEST_F(ContainerStoreTest, CreateKeepsEveryFieldByteForByte) {
  auto created = create("n", container("c1", {{"a", "1"}, {"empty", ""}}));
  ASSERT_OK(created.status());
  EXPECT_GT(created->created_at, 0);
  EXPECT_EQ(created->created_at, created->updated_at);
  EXPECT_FALSE(created->labels.contains("empty")) << "containerd keeps no empty label values";

  auto got = get("n", "c1");
  ASSERT_OK(got.status());
  const Container want = container("c1", {{"a", "1"}});
  EXPECT_EQ(got->labels, want.labels);
  EXPECT_EQ(got->image, want.image);
  EXPECT_EQ(got->runtime.name, want.runtime.name);
  EXPECT_EQ(got->runtime.options, want.runtime.options);
  EXPECT_EQ(got->spec, want.spec);
  EXPECT_EQ(got->snapshotter, "overlayfs");
  EXPECT_EQ(got->snapshot_key, "c1");
  EXPECT_EQ(got->extensions, want.extensions);
  EXPECT_EQ(got->created_at, created->created_at);
  EXPECT_TRUE(read(keys::container_key("n", "c1")).has_value());
  // The namespace exists now, as containerd creates it.
  EXPECT_TRUE(read("v1/namespaces/n").has_value());
}

TEST_F(ContainerStoreTest, RefusesWhatContainerdRefuses) {
  ASSERT_OK(create("n", container("c1")).status());
  auto again = create("n", container("c1"));
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_NE(again.status().message().find("container \"c1\": already exists"), std::string::npos);

  auto expect_invalid = [&](Container c, const std::string& message) {
    auto r = create("n", c);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << message;
    EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().message();
  };
  Container c = container("bad id");
  expect_invalid(c, "container.ID");
  c = container("c2");
  c.runtime.name.clear();
  expect_invalid(c, "container.Runtime.Name must be set");
  c = container("c2");
  c.spec.reset();
  expect_invalid(c, "container.Spec must be set");
  c = container("c2");
  c.snapshotter.clear();
  expect_invalid(c, "container.Snapshotter must be set if container.SnapshotKey is set");
  c = container("c2");
  c.extensions[""] = AnyValue{"x", "y"};
  expect_invalid(c, "container.Extension keys must not be zero-length");
  c = container("c2", {{"", "v"}});
  expect_invalid(c, "containers.Labels");
  EXPECT_EQ(create("bad ns", container("c2")).status().code(), Code::kInvalidArgument);

  EXPECT_EQ(get("n", "nope").status().code(), Code::kNotFound);
  EXPECT_NE(get("n", "nope").status().message().find("container \"nope\" in namespace \"n\": not found"),
            std::string::npos);
  EXPECT_EQ(remove("n", "nope").code(), Code::kNotFound);
  EXPECT_EQ(get("n", "").status().code(), Code::kInvalidArgument);
}

TEST_F(ContainerStoreTest, ListFiltersOnIdImageRuntimeAndLabels) {
  Container b = container("b", {{"team", "x"}});
  b.image = "docker.io/library/alpine:3";
  ASSERT_OK(create("n", b).status());
  ASSERT_OK(create("n", container("a", {{"team", "y"}})).status());
  Container c = container("c");
  c.runtime.name = "io.containerd.runsc.v1";
  ASSERT_OK(create("n", c).status());
  ASSERT_OK(create("other", container("z")).status());

  EXPECT_EQ(ids("n", {}), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ids("n", {"id==b"}), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ids("n", {"image~=alpine"}), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ids("n", {"runtime.name==io.containerd.runsc.v1"}), (std::vector<std::string>{"c"}));
  EXPECT_EQ(ids("n", {"labels.team"}), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ids("n", {"labels.team==x", "id==c"}), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(ids("empty", {}), std::vector<std::string>{});
  EXPECT_OK(md_->view([&](Transaction& tx) {
    EXPECT_EQ(store_.list(tx, "n", {"id=="}).status().code(), Code::kInvalidArgument);
    return ok_status();
  }));
}

TEST_F(ContainerStoreTest, UpdateFollowsTheFieldMask) {
  ASSERT_OK(create("n", container("c1", {{"a", "1"}, {"b", "2"}})).status());
  Container change = container("c1", {{"a", "9"}, {"c", "3"}});
  change.image = "other:1";
  change.spec = spec("new spec");
  change.extensions = {{"more", AnyValue{"m.N", "1"}}};
  change.snapshot_key = "k2";

  auto u = update("n", change, {"labels.a", "labels.b"});
  ASSERT_OK(u.status());
  EXPECT_EQ(u->labels, (Labels{{"a", "9"}})) << "b removed: absent from the request";
  EXPECT_EQ(u->image, "docker.io/library/busybox:latest") << "not in the mask";
  EXPECT_GT(u->updated_at, u->created_at);

  u = update("n", change, {"image", "spec", "extensions.more", "snapshotkey"});
  ASSERT_OK(u.status());
  EXPECT_EQ(u->image, "other:1");
  EXPECT_EQ(u->spec, spec("new spec"));
  EXPECT_EQ(u->extensions.size(), 2u);
  EXPECT_EQ(u->snapshot_key, "k2");

  // No mask: the replaceable fields all at once; the immutable must match.
  change.labels = {{"z", "1"}};
  u = update("n", change, {});
  ASSERT_OK(u.status());
  EXPECT_EQ(u->labels, (Labels{{"z", "1"}}));
  EXPECT_EQ(u->extensions, change.extensions);
  Container moved = change;
  moved.snapshotter = "native";
  auto refused = update("n", moved, {});
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("container.Snapshotter field is immutable"), std::string::npos);
  moved = change;
  moved.runtime.name = "io.containerd.runsc.v1";
  refused = update("n", moved, {});
  EXPECT_NE(refused.status().message().find("container.Runtime.Name field is immutable"), std::string::npos);
  refused = update("n", change, {"runtime"});
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("cannot update \"runtime\" field"), std::string::npos);
  Container no_spec = change;
  no_spec.spec.reset();
  refused = update("n", no_spec, {"spec"});
  EXPECT_NE(refused.status().message().find("container.Spec must be set"), std::string::npos);
  EXPECT_EQ(update("n", container("nope"), {}).status().code(), Code::kNotFound);
}

TEST_F(ContainerStoreTest, ChangesAreAnnouncedOnceCommitted) {
  ASSERT_OK(create("n", container("c1")).status());
  const auto* created = std::get_if<events::ContainerCreate>(&events_->last);
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->runtime_name, "io.containerd.runc.v2");
  EXPECT_EQ(created->runtime_options, container("c1").runtime.options);
  ASSERT_OK(update("n", container("c1", {{"k", "v"}}), {"labels"}).status());
  const auto* updated = std::get_if<events::ContainerUpdate>(&events_->last);
  ASSERT_NE(updated, nullptr);
  EXPECT_EQ(updated->labels, (Labels{{"k", "v"}}));
  EXPECT_EQ(updated->snapshot_key, "c1");
  ASSERT_OK(remove("n", "c1"));
  EXPECT_EQ(events_->seen, (std::vector<std::string>{"n /containers/create c1", "n /containers/update c1",
                                                     "n /containers/delete c1"}));
  events_->seen.clear();
  EXPECT_EQ(md_->update([&](Transaction& tx) {
                 EXPECT_OK(store_.create(tx, "n", container("c2")).status());
                 return aborted("changed my mind");
               })
                .code(),
            Code::kAborted);
  EXPECT_TRUE(events_->seen.empty());
}

TEST_F(ContainerStoreTest, AnUnreadableRecordIsDataLossNamingTheContainer) {
  ASSERT_OK(put(keys::container_key("n", "broken"), "not cbor"));
  auto got = get("n", "broken");
  EXPECT_EQ(got.status().code(), Code::kDataLoss);
  EXPECT_NE(got.status().message().find("container \"broken\""), std::string::npos);
}

}  // namespace
}  // namespace berth::metadata
