// Events: what happened in the daemon, as containerd publishes it. Every
// event has a topic ("/images/create"), the namespace it happened in, a time
// and a payload of one of containerd's event types (containerd.events.*),
// which the API edge encodes for `ctr events` and every other subscriber.
//
// Plugins publish through this interface with the plain structs below and
// never through protobuf; events that arrive from clients (Publish, Forward)
// travel as an OpaqueEvent, their encoded bytes kept as they came.
//
// Interface type "io.containerd.event.v1"; plugins/events offers the
// exchange. A publisher requires the type and looks it up with
// first_of<EventPublisher>; when no exchange is loaded it publishes nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "berth/any_value.hpp"
#include "berth/filters.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

inline constexpr std::string_view kEventPluginType = "io.containerd.event.v1";

namespace events {

// containerd's image events (containerd.services.images.v1.ImageCreate, ...:
// containerd declares them in that package), on /images/create.
struct ImageCreate {
  std::string name;
  Labels labels;
};
// On /images/update.
struct ImageUpdate {
  std::string name;
  Labels labels;
};
// On /images/delete.
struct ImageDelete {
  std::string name;
};

// containerd.events.ContainerCreate, on /containers/create.
struct ContainerCreate {
  std::string id;
  std::string image;
  std::string runtime_name;
  std::optional<AnyValue> runtime_options;
};
// containerd.events.ContainerUpdate, on /containers/update.
struct ContainerUpdate {
  std::string id;
  std::string image;
  Labels labels;
  std::string snapshot_key;
};
// containerd.events.ContainerDelete, on /containers/delete.
struct ContainerDelete {
  std::string id;
};

// containerd.events.NamespaceCreate / Update / Delete, on /namespaces/create|update|delete.
struct NamespaceCreate {
  std::string name;
  Labels labels;
};
struct NamespaceUpdate {
  std::string name;
  Labels labels;
};
struct NamespaceDelete {
  std::string name;
};
// containerd.events.SnapshotPrepare / Commit / Remove, on /snapshot/prepare|commit|remove
// (containerd's topics are singular here). Views are not announced, as in containerd.
struct SnapshotPrepare {
  std::string key;
  std::string parent;
};
struct SnapshotCommit {
  std::string key;
  std::string name;
};
struct SnapshotRemove {
  std::string key;
};
// containerd.events.ContentDelete, on /content/delete.
struct ContentDelete {
  std::string digest;
};

// containerd.events.TaskExit, on /tasks/exit: a task's process exited
// (`id` is the exec id, or the container id for the init process).
struct TaskExit {
  std::string container_id;
  std::string id;
  uint32_t pid = 0;
  uint32_t exit_status = 0;
  int64_t exited_at = 0;  // ns since the epoch
};
// containerd.events.TaskDelete, on /tasks/delete.
struct TaskDelete {
  std::string container_id;
  std::string id;
  uint32_t pid = 0;
  uint32_t exit_status = 0;
  int64_t exited_at = 0;
};

// berth.events.GcRun (Berth's own; containerd publishes none), on /gc/run:
// one garbage collection finished. Counts: blobs and snapshots removed from
// the backends, leases and ingests removed from the records.
struct GcRun {
  int64_t duration_ns = 0;
  int64_t pause_ns = 0;  // how long API writes waited for it
  int64_t blobs = 0;
  int64_t snapshots = 0;
  int64_t leases = 0;
  int64_t ingests = 0;
};

// An event of a type Berth has no struct for, as a client published or
// forwarded it: its type URL ("containerd.events.TaskExit") and its encoded
// message.
struct OpaqueEvent {
  std::string type_url;
  std::string value;
};

inline constexpr std::string_view kImageCreateTopic = "/images/create";
inline constexpr std::string_view kImageUpdateTopic = "/images/update";
inline constexpr std::string_view kImageDeleteTopic = "/images/delete";
inline constexpr std::string_view kContainerCreateTopic = "/containers/create";
inline constexpr std::string_view kContainerUpdateTopic = "/containers/update";
inline constexpr std::string_view kContainerDeleteTopic = "/containers/delete";
inline constexpr std::string_view kNamespaceCreateTopic = "/namespaces/create";
inline constexpr std::string_view kNamespaceUpdateTopic = "/namespaces/update";
inline constexpr std::string_view kNamespaceDeleteTopic = "/namespaces/delete";
inline constexpr std::string_view kSnapshotPrepareTopic = "/snapshot/prepare";
inline constexpr std::string_view kSnapshotCommitTopic = "/snapshot/commit";
inline constexpr std::string_view kSnapshotRemoveTopic = "/snapshot/remove";
inline constexpr std::string_view kContentDeleteTopic = "/content/delete";
inline constexpr std::string_view kTaskExitTopic = "/tasks/exit";
inline constexpr std::string_view kTaskDeleteTopic = "/tasks/delete";
inline constexpr std::string_view kGcRunTopic = "/gc/run";

}  // namespace events

// New event types are added as alternatives here (a plugin ABI change).
using EventPayload =
    std::variant<events::ImageCreate, events::ImageUpdate, events::ImageDelete, events::ContainerCreate,
                 events::ContainerUpdate, events::ContainerDelete, events::NamespaceCreate,
                 events::NamespaceUpdate, events::NamespaceDelete, events::SnapshotPrepare,
                 events::SnapshotCommit, events::SnapshotRemove, events::ContentDelete, events::TaskExit,
                 events::TaskDelete, events::GcRun, events::OpaqueEvent>;

struct Envelope {
  int64_t timestamp = 0;  // ns since the epoch
  std::string ns;
  std::string topic;
  EventPayload event;
};

// InvalidArgument unless `topic` is one containerd accepts: it starts with
// '/', and every '/'-separated component is a valid identifier
// (berth/validate.hpp's rules for names).
Status validate_topic(std::string_view topic);

// The fields containerd's event filters may name: "topic", "namespace" and
// "event.<field>" for the payloads above (containerd's field names:
// "event.name", "event.id", "event.image", "event.labels.<key>",
// "event.runtime.name", "event.snapshot_key", "event.key", "event.parent",
// "event.digest", "event.container_id"); an OpaqueEvent has none.
std::optional<std::string> envelope_field(const Envelope& envelope, const std::vector<std::string>& path);

class EventPublisher {
 public:
  virtual ~EventPublisher();
  // Stamps the event with the current time and delivers it to every
  // subscriber whose filter matches. Never waits for a subscriber.
  // InvalidArgument for a bad topic or namespace.
  virtual Status publish(std::string_view ns, std::string_view topic, EventPayload event) = 0;
};

// A subscriber's queue of matching events, in publication order. Dropping it
// unsubscribes.
class Subscription {
 public:
  virtual ~Subscription();
  // The next event, or nullopt if none arrives within `timeout`.
  // ResourceExhausted once the subscriber fell so far behind that events
  // were dropped for it: it must subscribe again.
  virtual Result<std::optional<Envelope>> next(std::chrono::milliseconds timeout) = 0;
};

class EventExchange : public EventPublisher {
 public:
  // Delivers an envelope made elsewhere (a shim, another daemon), keeping its
  // time, namespace and topic. InvalidArgument for a bad topic or namespace.
  virtual Status forward(Envelope envelope) = 0;
  // Events matching `filter` (containerd's syntax over envelope_field's
  // fields; an empty filter matches everything) from now on.
  virtual std::unique_ptr<Subscription> subscribe(Filter filter) = 0;
};

}  // namespace berth
