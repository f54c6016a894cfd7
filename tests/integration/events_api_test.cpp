// The Events service through the generated stubs against the real berthd:
// what Publish, Forward and Subscribe accept and refuse, filters on topic,
// namespace and event fields, events of types Berth has no struct for passed
// through byte for byte, and the images service announcing its changes.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../support/temp_dir.hpp"
#include "events_subscriber.hpp"
#include "github.com/containerd/containerd/api/events/image.pb.h"
#include "github.com/containerd/containerd/api/services/events/v1/events.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "harness.hpp"

namespace berth::test {
namespace {

namespace events_v1 = containerd::services::events::v1;
namespace images_v1 = containerd::services::images::v1;

constexpr const char* kDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

class EventsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // No collection on its own, whose /gc/run would reach the subscribers
    // that expect exactly the events the tests make.
    const auto config = dir_.path() / "config.toml";
    std::ofstream(config) << "version = 2\n" << kGcWhenAskedToml;
    std::string why;
    ASSERT_TRUE(daemon_.start({"--config", config.string()}, why)) << why;
    auto channel = grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials());
    events_ = events_v1::Events::NewStub(channel);
    images_ = images_v1::Images::NewStub(channel);
  }

  static std::unique_ptr<grpc::ClientContext> ctx(const std::string& ns = "default") {
    auto c = std::make_unique<grpc::ClientContext>();
    if (!ns.empty()) c->AddMetadata("containerd-namespace", ns);
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return c;
  }

  static google::protobuf::Any image_delete(const std::string& name) {
    images_v1::ImageDelete ev;
    ev.set_name(name);
    google::protobuf::Any any;
    any.set_type_url("containerd.services.images.v1.ImageDelete");
    ev.SerializeToString(any.mutable_value());
    return any;
  }

  grpc::Status publish(const std::string& topic, const google::protobuf::Any& event,
                       const std::string& ns = "default") {
    events_v1::PublishRequest req;
    req.set_topic(topic);
    *req.mutable_event() = event;
    google::protobuf::Empty out;
    return events_->Publish(ctx(ns).get(), req, &out);
  }

  grpc::Status create_image(const std::string& name, const std::string& ns = "default") {
    images_v1::CreateImageRequest req;
    req.mutable_image()->set_name(name);
    req.mutable_image()->mutable_target()->set_media_type("application/vnd.oci.image.manifest.v1+json");
    req.mutable_image()->mutable_target()->set_digest(kDigest);
    req.mutable_image()->mutable_target()->set_size(2);
    (*req.mutable_image()->mutable_labels())["team"] = "a";
    images_v1::CreateImageResponse out;
    return images_->Create(ctx(ns).get(), req, &out);
  }

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path()};
  std::unique_ptr<events_v1::Events::Stub> events_;
  std::unique_ptr<images_v1::Images::Stub> images_;
};

TEST_F(EventsApiTest, ImageChangesAreAnnouncedInOrder) {
  Subscriber sub(*events_, {});
  ASSERT_TRUE(create_image("docker.io/library/a:1").ok());
  images_v1::UpdateImageRequest up;
  up.mutable_image()->set_name("docker.io/library/a:1");
  (*up.mutable_image()->mutable_labels())["team"] = "b";
  up.mutable_update_mask()->add_paths("labels.team");
  images_v1::UpdateImageResponse up_out;
  ASSERT_TRUE(images_->Update(ctx().get(), up, &up_out).ok());
  images_v1::DeleteImageRequest del;
  del.set_name("docker.io/library/a:1");
  google::protobuf::Empty empty;
  ASSERT_TRUE(images_->Delete(ctx().get(), del, &empty).ok());
  // A refused change announces nothing: the next event is the probe below.
  ASSERT_FALSE(images_->Delete(ctx().get(), del, &empty).ok());
  ASSERT_TRUE(publish("/probe/done", image_delete("probe")).ok());

  events_v1::Envelope e;
  ASSERT_TRUE(sub.read(e));
  EXPECT_EQ(e.topic(), "/images/create");
  EXPECT_EQ(e.namespace_(), "default");
  EXPECT_EQ(e.event().type_url(), "containerd.services.images.v1.ImageCreate");
  images_v1::ImageCreate created;
  ASSERT_TRUE(created.ParseFromString(e.event().value()));
  EXPECT_EQ(created.name(), "docker.io/library/a:1");
  EXPECT_EQ(created.labels().at("team"), "a");
  const int64_t created_at = e.timestamp().seconds();
  EXPECT_GT(created_at, 1700000000);

  ASSERT_TRUE(sub.read(e));
  EXPECT_EQ(e.topic(), "/images/update");
  images_v1::ImageUpdate updated;
  ASSERT_TRUE(updated.ParseFromString(e.event().value()));
  EXPECT_EQ(updated.labels().at("team"), "b");

  ASSERT_TRUE(sub.read(e));
  EXPECT_EQ(e.topic(), "/images/delete");
  EXPECT_EQ(e.event().type_url(), "containerd.services.images.v1.ImageDelete");

  ASSERT_TRUE(sub.read(e));
  EXPECT_EQ(e.topic(), "/probe/done");
}

TEST_F(EventsApiTest, FiltersOnTopicNamespaceAndEventFields) {
  Subscriber deletes(*events_, {"topic==\"/images/delete\""});
  Subscriber other_ns(*events_, {"namespace==other"});
  Subscriber by_label(*events_, {"event.labels.team==a,topic~=create"});
  ASSERT_TRUE(create_image("docker.io/library/x:1").ok());
  ASSERT_TRUE(create_image("docker.io/library/y:1", "other").ok());
  ASSERT_TRUE(publish("/images/delete", image_delete("z")).ok());

  events_v1::Envelope e;
  ASSERT_TRUE(deletes.read(e));
  EXPECT_EQ(e.topic(), "/images/delete");
  images_v1::ImageDelete del;
  ASSERT_TRUE(del.ParseFromString(e.event().value()));
  EXPECT_EQ(del.name(), "z");

  ASSERT_TRUE(other_ns.read(e));
  EXPECT_EQ(e.namespace_(), "other");
  EXPECT_EQ(e.topic(), "/images/create");

  ASSERT_TRUE(by_label.read(e));
  EXPECT_EQ(e.namespace_(), "default");
  ASSERT_TRUE(by_label.read(e));
  EXPECT_EQ(e.namespace_(), "other");
}

TEST_F(EventsApiTest, UnknownTypesPassThroughUnchanged) {
  Subscriber sub(*events_, {"topic~=^/tasks/"});
  google::protobuf::Any any;
  any.set_type_url("containerd.events.TaskPaused");
  any.set_value(
      std::string("\x0a\x03"
                  "abc\x00\xff",
                  7));  // whatever the publisher encoded
  ASSERT_TRUE(publish("/tasks/paused", any, "ns1").ok());

  events_v1::ForwardRequest fwd;
  fwd.mutable_envelope()->mutable_timestamp()->set_seconds(1234567890);
  fwd.mutable_envelope()->set_namespace_("ns2");
  fwd.mutable_envelope()->set_topic("/tasks/oom");
  fwd.mutable_envelope()->mutable_event()->set_type_url("containerd.events.TaskOOM");
  google::protobuf::Empty out;
  ASSERT_TRUE(events_->Forward(ctx("").get(), fwd, &out).ok());

  events_v1::Envelope e;
  ASSERT_TRUE(sub.read(e));
  EXPECT_EQ(e.namespace_(), "ns1");
  EXPECT_EQ(e.event().type_url(), "containerd.events.TaskPaused");
  EXPECT_EQ(e.event().value(), any.value());
  ASSERT_TRUE(sub.read(e));
  EXPECT_EQ(e.namespace_(), "ns2");
  EXPECT_EQ(e.topic(), "/tasks/oom");
  EXPECT_EQ(e.timestamp().seconds(), 1234567890) << "a forwarded envelope keeps its time";
}

TEST_F(EventsApiTest, BadRequestsAreRefusedClearly) {
  const auto ev = image_delete("x");
  for (const char* topic : {"", "images/delete", "/", "/images//delete", "/images/del ete"}) {
    auto st = publish(topic, ev);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << topic;
    EXPECT_NE(st.error_message().find("topic"), std::string::npos) << st.error_message();
  }
  EXPECT_EQ(publish("/a", ev, "").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(publish("/a", ev, "bad ns").error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  events_v1::PublishRequest no_event;
  no_event.set_topic("/a");
  google::protobuf::Empty out;
  EXPECT_EQ(events_->Publish(ctx().get(), no_event, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  google::protobuf::Any garbage;
  garbage.set_type_url("containerd.services.images.v1.ImageCreate");
  garbage.set_value("\xff\xff\xff");
  auto st = publish("/images/create", garbage);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("does not decode"), std::string::npos) << st.error_message();

  events_v1::ForwardRequest fwd;
  fwd.mutable_envelope()->set_namespace_("default");
  fwd.mutable_envelope()->set_topic("/a");
  *fwd.mutable_envelope()->mutable_event() = ev;
  st = events_->Forward(ctx().get(), fwd, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "no timestamp";
  EXPECT_NE(st.error_message().find("timestamp"), std::string::npos) << st.error_message();

  grpc::ClientContext sctx;
  events_v1::SubscribeRequest bad;
  bad.add_filters("topic==");
  auto reader = events_->Subscribe(&sctx, bad);
  events_v1::Envelope e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EventsApiTest, SubscribersEndWhenTheDaemonStops) {
  Subscriber sub(*events_, {});
  // The client waits in Read, as ctr events does, while the daemon stops.
  bool got_event = true;
  std::thread reader([&] {
    events_v1::Envelope e;
    got_event = sub.read(e);
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_.stop(SIGTERM), 0) << daemon_.log();
  reader.join();
  EXPECT_FALSE(got_event);
  const grpc::Status st = sub.finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  // Not a speed check: without the service ending its streams, shutdown
  // would sit out the server's whole 2 s grace period.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500))
      << "an open subscription held up shutdown";
}

}  // namespace
}  // namespace berth::test
