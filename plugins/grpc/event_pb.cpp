#include "event_pb.hpp"

#include <string>
#include <type_traits>

#include "github.com/containerd/containerd/api/events/container.pb.h"
#include "github.com/containerd/containerd/api/events/image.pb.h"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

// containerd declares its image events in this package, not containerd.events.
namespace pb_images = containerd::services::images::v1;
namespace pb_events = containerd::events;

// The type URL is the message's full name, bare, as containerd's typeurl writes it.
template <class Pb>
void pack(const Pb& message, google::protobuf::Any* out) {
  out->set_type_url(Pb::descriptor()->full_name());
  message.SerializeToString(out->mutable_value());
}

template <class Pb>
void copy_labels(const Labels& from, Pb& to) {
  to.mutable_labels()->insert(from.begin(), from.end());
}

template <class Pb>
Result<Pb> unpack(const google::protobuf::Any& any) {
  Pb message;
  if (!message.ParseFromString(any.value()))
    return invalid_argument("event of type " + any.type_url() + " does not decode");
  return message;
}

}  // namespace

void to_any(const EventPayload& event, google::protobuf::Any* out) {
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, events::ImageCreate>) {
          pb_images::ImageCreate pb;
          pb.set_name(e.name);
          copy_labels(e.labels, pb);
          pack(pb, out);
        } else if constexpr (std::is_same_v<T, events::ImageUpdate>) {
          pb_images::ImageUpdate pb;
          pb.set_name(e.name);
          copy_labels(e.labels, pb);
          pack(pb, out);
        } else if constexpr (std::is_same_v<T, events::ImageDelete>) {
          pb_images::ImageDelete pb;
          pb.set_name(e.name);
          pack(pb, out);
        } else if constexpr (std::is_same_v<T, events::ContainerCreate>) {
          pb_events::ContainerCreate pb;
          pb.set_id(e.id);
          pb.set_image(e.image);
          pb.mutable_runtime()->set_name(e.runtime_name);
          if (e.runtime_options) to_pb(*e.runtime_options, pb.mutable_runtime()->mutable_options());
          pack(pb, out);
        } else if constexpr (std::is_same_v<T, events::ContainerUpdate>) {
          pb_events::ContainerUpdate pb;
          pb.set_id(e.id);
          pb.set_image(e.image);
          copy_labels(e.labels, pb);
          pb.set_snapshot_key(e.snapshot_key);
          pack(pb, out);
        } else if constexpr (std::is_same_v<T, events::ContainerDelete>) {
          pb_events::ContainerDelete pb;
          pb.set_id(e.id);
          pack(pb, out);
        } else {
          static_assert(std::is_same_v<T, events::OpaqueEvent>);
          out->set_type_url(e.type_url);
          out->set_value(e.value);
        }
      },
      event);
}

Result<EventPayload> from_any(const google::protobuf::Any& any) {
  const std::string& type = any.type_url();
  if (type == pb_images::ImageCreate::descriptor()->full_name()) {
    auto pb = unpack<pb_images::ImageCreate>(any);
    if (!pb.ok()) return pb.status();
    return EventPayload(
        events::ImageCreate{.name = pb->name(), .labels = {pb->labels().begin(), pb->labels().end()}});
  }
  if (type == pb_images::ImageUpdate::descriptor()->full_name()) {
    auto pb = unpack<pb_images::ImageUpdate>(any);
    if (!pb.ok()) return pb.status();
    return EventPayload(
        events::ImageUpdate{.name = pb->name(), .labels = {pb->labels().begin(), pb->labels().end()}});
  }
  if (type == pb_images::ImageDelete::descriptor()->full_name()) {
    auto pb = unpack<pb_images::ImageDelete>(any);
    if (!pb.ok()) return pb.status();
    return EventPayload(events::ImageDelete{.name = pb->name()});
  }
  if (type == pb_events::ContainerCreate::descriptor()->full_name()) {
    auto pb = unpack<pb_events::ContainerCreate>(any);
    if (!pb.ok()) return pb.status();
    events::ContainerCreate e{.id = pb->id(), .image = pb->image(), .runtime_name = pb->runtime().name()};
    if (pb->runtime().has_options()) e.runtime_options = from_pb(pb->runtime().options());
    return EventPayload(std::move(e));
  }
  if (type == pb_events::ContainerUpdate::descriptor()->full_name()) {
    auto pb = unpack<pb_events::ContainerUpdate>(any);
    if (!pb.ok()) return pb.status();
    return EventPayload(events::ContainerUpdate{.id = pb->id(),
                                                .image = pb->image(),
                                                .labels = {pb->labels().begin(), pb->labels().end()},
                                                .snapshot_key = pb->snapshot_key()});
  }
  if (type == pb_events::ContainerDelete::descriptor()->full_name()) {
    auto pb = unpack<pb_events::ContainerDelete>(any);
    if (!pb.ok()) return pb.status();
    return EventPayload(events::ContainerDelete{.id = pb->id()});
  }
  return EventPayload(events::OpaqueEvent{.type_url = type, .value = any.value()});
}

void to_pb(const Envelope& envelope, containerd::services::events::v1::Envelope* out) {
  set_time(envelope.timestamp, out->mutable_timestamp());
  out->set_namespace_(envelope.ns);
  out->set_topic(envelope.topic);
  to_any(envelope.event, out->mutable_event());
}

}  // namespace berth::api
