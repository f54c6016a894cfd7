// berth/events.hpp: containerd's topic rules and the fields event filters see.
#include "berth/events.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(EventsTest, TopicsFollowContainerdsRules) {
  for (const char* ok : {"/images/create", "/tasks/exec-added", "/a", "/a.b/c_d"})
    EXPECT_TRUE(validate_topic(ok).ok()) << ok;
  for (const char* bad : {"", "images/create", "/", "/images/", "//x", "/a b", "/-a"}) {
    const Status st = validate_topic(bad);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("topic"), std::string::npos) << st.message();
  }
}

TEST(EventsTest, EnvelopeFields) {
  const Envelope e{.timestamp = 1,
                   .ns = "n",
                   .topic = "/images/create",
                   .event = events::ImageCreate{.name = "x", .labels = {{"a.b", "1"}}}};
  EXPECT_EQ(envelope_field(e, {"topic"}), "/images/create");
  EXPECT_EQ(envelope_field(e, {"namespace"}), "n");
  EXPECT_EQ(envelope_field(e, {"event", "name"}), "x");
  EXPECT_EQ(envelope_field(e, {"event", "labels", "a", "b"}), "1");
  EXPECT_EQ(envelope_field(e, {"event", "labels", "c"}), std::nullopt);
  EXPECT_EQ(envelope_field(e, {"event"}), std::nullopt);
  EXPECT_EQ(envelope_field(e, {"other"}), std::nullopt);
  const Envelope opaque{.timestamp = 1, .ns = "n", .topic = "/t", .event = events::OpaqueEvent{"x.Y", "v"}};
  EXPECT_EQ(envelope_field(opaque, {"event", "name"}), std::nullopt);
  EXPECT_EQ(envelope_field(opaque, {"topic"}), "/t");
}

TEST(EventsTest, ContainerEventFields) {
  const Envelope create{
      .timestamp = 1,
      .ns = "n",
      .topic = "/containers/create",
      .event = events::ContainerCreate{.id = "c1", .image = "busybox", .runtime_name = "rt"}};
  EXPECT_EQ(envelope_field(create, {"event", "id"}), "c1");
  EXPECT_EQ(envelope_field(create, {"event", "image"}), "busybox");
  EXPECT_EQ(envelope_field(create, {"event", "runtime", "name"}), "rt");
  const Envelope update{
      .timestamp = 1,
      .ns = "n",
      .topic = "/containers/update",
      .event = events::ContainerUpdate{.id = "c1", .labels = {{"a", "1"}}, .snapshot_key = "k"}};
  EXPECT_EQ(envelope_field(update, {"event", "labels", "a"}), "1");
  EXPECT_EQ(envelope_field(update, {"event", "snapshot_key"}), "k");
  const Envelope del{
      .timestamp = 1, .ns = "n", .topic = "/containers/delete", .event = events::ContainerDelete{"c1"}};
  EXPECT_EQ(envelope_field(del, {"event", "id"}), "c1");
  EXPECT_EQ(envelope_field(del, {"event", "image"}), std::nullopt);
}

}  // namespace
}  // namespace berth
