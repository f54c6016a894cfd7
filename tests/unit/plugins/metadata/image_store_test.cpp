// The images-service's records: containerd's semantics for create, get, list
// with filters, update by field mask and remove, and its errors.
#include "image_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "db_fixture.hpp"
#include "keys.hpp"

namespace berth::metadata {
namespace {

using namespace std::string_literals;

const std::string kManifest = "sha256:" + std::string(64, 'a');
const std::string kOther = "sha256:" + std::string(64, 'b');
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";

Image image(const std::string& name, const std::string& digest = kManifest, Labels labels = {}) {
  return Image{name, Descriptor{kOciManifest, digest, 1234, {}}, std::move(labels), 0, 0};
}

class ImageStoreTest : public test::DbFixture {
 protected:
  Result<Image> create(const std::string& ns, const Image& i) {
    Result<Image> out = internal("update did not run");
    Status st = md_->update([&](Transaction& tx) {
      out = store_.create(tx, ns, i);
      return out.ok() ? ok_status() : out.status();
    });
    if (!st.ok()) return st;
    return out;
  }
  Result<Image> update(const std::string& ns, const Image& i, const std::vector<std::string>& paths) {
    Result<Image> out = internal("update did not run");
    Status st = md_->update([&](Transaction& tx) {
      out = store_.update(tx, ns, i, paths);
      return out.ok() ? ok_status() : out.status();
    });
    if (!st.ok()) return st;
    return out;
  }
  Result<Image> get(const std::string& ns, const std::string& name) {
    Result<Image> out = internal("view did not run");
    EXPECT_OK(md_->view([&](Transaction& tx) {
      out = store_.get(tx, ns, name);
      return ok_status();
    }));
    return out;
  }
  std::vector<std::string> names(const std::string& ns, const std::vector<std::string>& filters = {}) {
    std::vector<std::string> out;
    EXPECT_OK(md_->view([&](Transaction& tx) -> Status {
      auto all = store_.list(tx, ns, filters);
      if (!all.ok()) return all.status();
      for (const auto& i : *all) out.push_back(i.name);
      return {};
    }));
    return out;
  }
  Status remove(const std::string& ns, const std::string& name) {
    return md_->update([&](Transaction& tx) { return store_.remove(tx, ns, name); });
  }

  // What the store announced, in order, as "ns topic name".
  struct Recorder final : EventPublisher {
    Status publish(std::string_view ns, std::string_view topic, EventPayload event) override {
      std::string name = std::visit(
          [](const auto& e) {
            if constexpr (requires { e.name; }) return e.name;
            return std::string("?");
          },
          event);
      seen.push_back(std::string(ns) + " " + std::string(topic) + " " + name);
      return {};
    }
    std::vector<std::string> seen;
  };
  std::shared_ptr<Recorder> events_ = std::make_shared<Recorder>();
  KvImageStore store_{events_};
};

TEST_F(ImageStoreTest, CreateGetAndTheRecordKey) {
  auto created =
      create("default", image("docker.io/library/busybox:latest", kManifest, {{"a", "1"}, {"gone", ""}}));
  ASSERT_OK(created.status());
  EXPECT_GT(created->created_at, 0);
  EXPECT_EQ(created->created_at, created->updated_at);
  EXPECT_EQ(created->labels, (Labels{{"a", "1"}})) << "empty label values are not kept";
  auto got = get("default", "docker.io/library/busybox:latest");
  ASSERT_OK(got.status());
  EXPECT_EQ(got->target, created->target);
  EXPECT_EQ(got->labels, created->labels);
  EXPECT_EQ(got->created_at, created->created_at);
  EXPECT_EQ(scan_keys("v1/ns/default/images/"),
            std::vector<std::string>{"v1/ns/default/images/docker.io/library/busybox:latest\0record"s});
  // The namespace exists now, as containerd creates it with its first object.
  EXPECT_TRUE(read(keys::namespace_key("default")).has_value());
}

TEST_F(ImageStoreTest, ErrorsHaveContainerdsCodes) {
  ASSERT_OK(create("default", image("a")).status());
  EXPECT_CODE(create("default", image("a")).status(), Code::kAlreadyExists);
  EXPECT_CODE(get("default", "b").status(), Code::kNotFound);
  EXPECT_CODE(remove("default", "b"), Code::kNotFound);
  EXPECT_CODE(update("default", image("b"), {}).status(), Code::kNotFound);
  EXPECT_CODE(create("default", image("")).status(), Code::kInvalidArgument);
  EXPECT_CODE(create("default", image("nul\0name"s)).status(), Code::kInvalidArgument);
  EXPECT_CODE(create("default", image("bad-digest", "sha256:xyz")).status(), Code::kInvalidArgument);
  Image no_type = image("no-type");
  no_type.target.media_type.clear();
  EXPECT_CODE(create("default", no_type).status(), Code::kInvalidArgument);
  Image negative = image("negative");
  negative.target.size = -1;
  EXPECT_CODE(create("default", negative).status(), Code::kInvalidArgument);
  EXPECT_CODE(create("bad/ns", image("x")).status(), Code::kInvalidArgument);
  EXPECT_CODE(update("default", image("a"), {"name"}).status(), Code::kInvalidArgument);
  // Nothing was half-made by the refusals.
  EXPECT_EQ(names("default"), std::vector<std::string>{"a"});
}

TEST_F(ImageStoreTest, ListIsSortedAndFiltered) {
  ASSERT_OK(create("default", image("c", kOther, {{"env", "prod"}})).status());
  ASSERT_OK(create("default", image("a", kManifest, {{"env", "dev"}})).status());
  ASSERT_OK(create("default", image("b", kManifest)).status());
  ASSERT_OK(create("other", image("z")).status());
  EXPECT_EQ(names("default"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names("default", {"name==b"}), std::vector<std::string>{"b"});
  EXPECT_EQ(names("default", {"target.digest==" + kOther}), std::vector<std::string>{"c"});
  EXPECT_EQ(names("default", {"labels.env"}), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(names("default", {"labels.env==prod", "name==a"}), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(names("default", {"target.mediatype~=oci"}), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(names("nowhere").empty());
  EXPECT_EQ(names("other"), std::vector<std::string>{"z"});
}

TEST_F(ImageStoreTest, UpdateByFieldMask) {
  ASSERT_OK(create("default", image("i", kManifest, {{"keep", "1"}, {"drop", "2"}})).status());
  const int64_t created_at = get("default", "i")->created_at;
  // One label set, one removed (empty value), the rest and the target kept.
  Image change = image("i", kOther, {{"new", "x"}, {"drop", ""}});
  auto labels = update("default", change, {"labels.new", "labels.drop"});
  ASSERT_OK(labels.status());
  EXPECT_EQ(labels->labels, (Labels{{"keep", "1"}, {"new", "x"}}));
  EXPECT_EQ(labels->target.digest, kManifest);
  EXPECT_EQ(labels->created_at, created_at);
  EXPECT_GE(labels->updated_at, created_at);
  // The target only as a whole.
  auto target = update("default", change, {"target"});
  ASSERT_OK(target.status());
  EXPECT_EQ(target->target.digest, kOther);
  // Annotations of the target, by key.
  Image annotated = change;
  annotated.target.annotations = {{"org.opencontainers.image.ref.name", "1.0"}};
  auto annotations = update("default", annotated, {"annotations.org.opencontainers.image.ref.name"});
  ASSERT_OK(annotations.status());
  EXPECT_EQ(annotations->target.annotations, annotated.target.annotations);
  // No mask: everything but the creation time.
  auto whole = update("default", image("i", kManifest), {});
  ASSERT_OK(whole.status());
  EXPECT_TRUE(whole->labels.empty());
  EXPECT_EQ(whole->target.digest, kManifest);
  EXPECT_EQ(whole->created_at, created_at);
  // An update that would make the image invalid changes nothing.
  EXPECT_CODE(update("default", image("i", "nonsense"), {"target"}).status(), Code::kInvalidArgument);
  EXPECT_EQ(get("default", "i")->target.digest, kManifest);
}

TEST_F(ImageStoreTest, RemoveDeletesTheRecordOnly) {
  ASSERT_OK(create("default", image("a")).status());
  ASSERT_OK(create("default", image("ab")).status());
  ASSERT_OK(remove("default", "a"));
  EXPECT_EQ(names("default"), std::vector<std::string>{"ab"});
}

TEST_F(ImageStoreTest, ADamagedRecordIsDataLossNamingTheImage) {
  ASSERT_OK(put(keys::image_key("default", "broken"), "{not json"));
  auto got = get("default", "broken");
  EXPECT_CODE(got.status(), Code::kDataLoss);
  EXPECT_NE(got.status().message().find("image \"broken\""), std::string::npos) << got.status().message();
}

TEST_F(ImageStoreTest, ChangesAreAnnouncedOnlyOnceCommitted) {
  ASSERT_OK(create("n", image("a")).status());
  ASSERT_OK(update("n", image("a", kManifest, {{"k", "v"}}), {"labels"}).status());
  ASSERT_OK(remove("n", "a"));
  EXPECT_EQ(events_->seen,
            (std::vector<std::string>{"n /images/create a", "n /images/update a", "n /images/delete a"}));
  events_->seen.clear();

  // A change in a transaction that is then discarded is never announced,
  // nor is one refused.
  EXPECT_EQ(md_->update([&](Transaction& tx) {
                 EXPECT_OK(store_.create(tx, "n", image("b")).status());
                 EXPECT_TRUE(events_->seen.empty()) << "announced before the commit";
                 return aborted("changed my mind");
               })
                .code(),
            Code::kAborted);
  EXPECT_EQ(remove("n", "b").code(), Code::kNotFound);
  EXPECT_TRUE(events_->seen.empty()) << events_->seen[0];
}

}  // namespace
}  // namespace berth::metadata
