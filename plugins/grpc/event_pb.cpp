#include "event_pb.hpp"

#include <functional>
#include <map>
#include <string>
#include <type_traits>

#include "berth/events/v1/gc.pb.h"
#include "github.com/containerd/containerd/api/events/container.pb.h"
#include "github.com/containerd/containerd/api/events/content.pb.h"
#include "github.com/containerd/containerd/api/events/image.pb.h"
#include "github.com/containerd/containerd/api/events/namespace.pb.h"
#include "github.com/containerd/containerd/api/events/snapshot.pb.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

// containerd declares its image events in this package, not containerd.events.
namespace pb_images = containerd::services::images::v1;
namespace pb_events = containerd::events;
namespace pb_berth = ::berth::events::v1;

template <class Pb>
void set_labels(const Labels& from, Pb& to) {
  to.mutable_labels()->insert(from.begin(), from.end());
}
template <class Pb>
Labels labels_of(const Pb& pb) {
  return {pb.labels().begin(), pb.labels().end()};
}

// One encode and one decode per event type: the SDK's struct to
// containerd's message and back.
pb_images::ImageCreate encode(const events::ImageCreate& e) {
  pb_images::ImageCreate pb;
  pb.set_name(e.name);
  set_labels(e.labels, pb);
  return pb;
}
events::ImageCreate decode(const pb_images::ImageCreate& pb) { return {pb.name(), labels_of(pb)}; }

pb_images::ImageUpdate encode(const events::ImageUpdate& e) {
  pb_images::ImageUpdate pb;
  pb.set_name(e.name);
  set_labels(e.labels, pb);
  return pb;
}
events::ImageUpdate decode(const pb_images::ImageUpdate& pb) { return {pb.name(), labels_of(pb)}; }

pb_images::ImageDelete encode(const events::ImageDelete& e) {
  pb_images::ImageDelete pb;
  pb.set_name(e.name);
  return pb;
}
events::ImageDelete decode(const pb_images::ImageDelete& pb) { return {pb.name()}; }

pb_events::ContainerCreate encode(const events::ContainerCreate& e) {
  pb_events::ContainerCreate pb;
  pb.set_id(e.id);
  pb.set_image(e.image);
  pb.mutable_runtime()->set_name(e.runtime_name);
  if (e.runtime_options) to_pb(*e.runtime_options, pb.mutable_runtime()->mutable_options());
  return pb;
}
events::ContainerCreate decode(const pb_events::ContainerCreate& pb) {
  events::ContainerCreate e{.id = pb.id(), .image = pb.image(), .runtime_name = pb.runtime().name()};
  if (pb.runtime().has_options()) e.runtime_options = from_pb(pb.runtime().options());
  return e;
}

pb_events::ContainerUpdate encode(const events::ContainerUpdate& e) {
  pb_events::ContainerUpdate pb;
  pb.set_id(e.id);
  pb.set_image(e.image);
  set_labels(e.labels, pb);
  pb.set_snapshot_key(e.snapshot_key);
  return pb;
}
events::ContainerUpdate decode(const pb_events::ContainerUpdate& pb) {
  return {.id = pb.id(), .image = pb.image(), .labels = labels_of(pb), .snapshot_key = pb.snapshot_key()};
}

pb_events::ContainerDelete encode(const events::ContainerDelete& e) {
  pb_events::ContainerDelete pb;
  pb.set_id(e.id);
  return pb;
}
events::ContainerDelete decode(const pb_events::ContainerDelete& pb) { return {pb.id()}; }

pb_events::NamespaceCreate encode(const events::NamespaceCreate& e) {
  pb_events::NamespaceCreate pb;
  pb.set_name(e.name);
  set_labels(e.labels, pb);
  return pb;
}
events::NamespaceCreate decode(const pb_events::NamespaceCreate& pb) { return {pb.name(), labels_of(pb)}; }

pb_events::NamespaceUpdate encode(const events::NamespaceUpdate& e) {
  pb_events::NamespaceUpdate pb;
  pb.set_name(e.name);
  set_labels(e.labels, pb);
  return pb;
}
events::NamespaceUpdate decode(const pb_events::NamespaceUpdate& pb) { return {pb.name(), labels_of(pb)}; }

pb_events::NamespaceDelete encode(const events::NamespaceDelete& e) {
  pb_events::NamespaceDelete pb;
  pb.set_name(e.name);
  return pb;
}
events::NamespaceDelete decode(const pb_events::NamespaceDelete& pb) { return {pb.name()}; }

pb_events::SnapshotPrepare encode(const events::SnapshotPrepare& e) {
  pb_events::SnapshotPrepare pb;
  pb.set_key(e.key);
  pb.set_parent(e.parent);
  return pb;
}
events::SnapshotPrepare decode(const pb_events::SnapshotPrepare& pb) { return {pb.key(), pb.parent()}; }

pb_events::SnapshotCommit encode(const events::SnapshotCommit& e) {
  pb_events::SnapshotCommit pb;
  pb.set_key(e.key);
  pb.set_name(e.name);
  return pb;
}
events::SnapshotCommit decode(const pb_events::SnapshotCommit& pb) { return {pb.key(), pb.name()}; }

pb_events::SnapshotRemove encode(const events::SnapshotRemove& e) {
  pb_events::SnapshotRemove pb;
  pb.set_key(e.key);
  return pb;
}
events::SnapshotRemove decode(const pb_events::SnapshotRemove& pb) { return {pb.key()}; }

pb_events::ContentDelete encode(const events::ContentDelete& e) {
  pb_events::ContentDelete pb;
  pb.set_digest(e.digest);
  return pb;
}
events::ContentDelete decode(const pb_events::ContentDelete& pb) { return {pb.digest()}; }

// TaskExit and TaskDelete share their fields.
template <class Pb, class Event>
Pb encode_task_exit(const Event& e) {
  Pb pb;
  pb.set_container_id(e.container_id);
  pb.set_id(e.id);
  pb.set_pid(e.pid);
  pb.set_exit_status(e.exit_status);
  set_time(e.exited_at, pb.mutable_exited_at());
  return pb;
}
template <class Event, class Pb>
Event decode_task_exit(const Pb& pb) {
  return {pb.container_id(), pb.id(), pb.pid(), pb.exit_status(),
          pb.has_exited_at() ? time_of(pb.exited_at()) : 0};
}
pb_events::TaskExit encode(const events::TaskExit& e) { return encode_task_exit<pb_events::TaskExit>(e); }
events::TaskExit decode(const pb_events::TaskExit& pb) { return decode_task_exit<events::TaskExit>(pb); }
pb_events::TaskDelete encode(const events::TaskDelete& e) {
  return encode_task_exit<pb_events::TaskDelete>(e);
}
events::TaskDelete decode(const pb_events::TaskDelete& pb) {
  return decode_task_exit<events::TaskDelete>(pb);
}

// Berth's own event, for its own clients (the metrics plugin reads the struct).
pb_berth::GcRun encode(const events::GcRun& e) {
  pb_berth::GcRun pb;
  pb.set_duration_ns(e.duration_ns);
  pb.set_pause_ns(e.pause_ns);
  pb.set_blobs(e.blobs);
  pb.set_snapshots(e.snapshots);
  pb.set_leases(e.leases);
  pb.set_ingests(e.ingests);
  return pb;
}
events::GcRun decode(const pb_berth::GcRun& pb) {
  return {pb.duration_ns(), pb.pause_ns(), pb.blobs(), pb.snapshots(), pb.leases(), pb.ingests()};
}

using Decoder = std::function<Result<EventPayload>(const google::protobuf::Any&)>;

template <class Pb>
std::pair<const std::string, Decoder> decoder() {
  return {Pb::descriptor()->full_name(), [](const google::protobuf::Any& any) -> Result<EventPayload> {
            Pb pb;
            if (!pb.ParseFromString(any.value()))
              return invalid_argument("event of type " + any.type_url() + " does not decode");
            return EventPayload(decode(pb));
          }};
}

// The event types Berth has a struct for, by their type URL.
const std::map<std::string, Decoder>& decoders() {
  static const std::map<std::string, Decoder> all{
      decoder<pb_images::ImageCreate>(),     decoder<pb_images::ImageUpdate>(),
      decoder<pb_images::ImageDelete>(),     decoder<pb_events::ContainerCreate>(),
      decoder<pb_events::ContainerUpdate>(), decoder<pb_events::ContainerDelete>(),
      decoder<pb_events::NamespaceCreate>(), decoder<pb_events::NamespaceUpdate>(),
      decoder<pb_events::NamespaceDelete>(), decoder<pb_events::SnapshotPrepare>(),
      decoder<pb_events::SnapshotCommit>(),  decoder<pb_events::SnapshotRemove>(),
      decoder<pb_events::ContentDelete>(),   decoder<pb_events::TaskExit>(),
      decoder<pb_events::TaskDelete>(),      decoder<pb_berth::GcRun>(),
  };
  return all;
}

}  // namespace

void to_any(const EventPayload& event, google::protobuf::Any* out) {
  std::visit(
      [&](const auto& e) {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, events::OpaqueEvent>) {
          out->set_type_url(e.type_url);
          out->set_value(e.value);
        } else {
          const auto pb = encode(e);
          // The type URL is the message's full name, bare, as containerd's typeurl writes it.
          out->set_type_url(std::decay_t<decltype(pb)>::descriptor()->full_name());
          pb.SerializeToString(out->mutable_value());
        }
      },
      event);
}

Result<EventPayload> from_any(const google::protobuf::Any& any) {
  const auto& all = decoders();
  if (auto it = all.find(any.type_url()); it != all.end()) return it->second(any);
  return EventPayload(events::OpaqueEvent{.type_url = any.type_url(), .value = any.value()});
}

void to_pb(const Envelope& envelope, containerd::services::events::v1::Envelope* out) {
  set_time(envelope.timestamp, out->mutable_timestamp());
  out->set_namespace_(envelope.ns);
  out->set_topic(envelope.topic);
  to_any(envelope.event, out->mutable_event());
}

}  // namespace berth::api
