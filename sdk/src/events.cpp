// The parts of berth/events.hpp every exchange and publisher shares: topic
// rules and the fields filters see.
#include "berth/events.hpp"

#include <string>

namespace berth {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

// containerd's rules and messages (events/exchange: validateTopic).
Status validate_topic(std::string_view topic) {
  if (topic.empty()) return invalid_argument("event topic must not be empty");
  if (topic[0] != '/')
    return invalid_argument("event topic \"" + std::string(topic) + "\" must start with '/'");
  if (topic.size() == 1) return invalid_argument("event topic \"/\" must have at least one component");
  std::string_view rest = topic.substr(1);
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view component = rest.substr(0, slash);
    if (Status st = validate_identifier(component); !st.ok())
      return st.with_context("event topic \"" + std::string(topic) + "\": component \"" +
                             std::string(component) + "\"");
    if (slash == std::string_view::npos) return {};
    rest = rest.substr(slash + 1);
  }
}

std::optional<std::string> envelope_field(const Envelope& envelope, const std::vector<std::string>& path) {
  if (path.empty()) return std::nullopt;
  if (path.size() == 1 && path[0] == "topic") return envelope.topic;
  if (path.size() == 1 && path[0] == "namespace") return envelope.ns;
  if (path[0] != "event" || path.size() < 2) return std::nullopt;
  const std::vector<std::string> rest(path.begin() + 1, path.end());
  auto named = [&rest](const std::string& name, const Labels* labels) -> std::optional<std::string> {
    if (rest.size() == 1 && rest[0] == "name") return name;
    if (labels != nullptr) return label_field(*labels, rest);
    return std::nullopt;
  };
  auto field = [&rest](std::string_view name, const std::string& value) -> std::optional<std::string> {
    if (rest.size() == 1 && rest[0] == name) return value;
    return std::nullopt;
  };
  return std::visit(Overloaded{
                        [&](const events::ImageCreate& e) { return named(e.name, &e.labels); },
                        [&](const events::ImageUpdate& e) { return named(e.name, &e.labels); },
                        [&](const events::ImageDelete& e) { return named(e.name, nullptr); },
                        [&](const events::ContainerCreate& e) -> std::optional<std::string> {
                          if (rest.size() == 2 && rest[0] == "runtime" && rest[1] == "name")
                            return e.runtime_name;
                          if (auto v = field("id", e.id)) return v;
                          return field("image", e.image);
                        },
                        [&](const events::ContainerUpdate& e) -> std::optional<std::string> {
                          if (auto v = field("id", e.id)) return v;
                          if (auto v = field("image", e.image)) return v;
                          if (auto v = field("snapshot_key", e.snapshot_key)) return v;
                          return label_field(e.labels, rest);
                        },
                        [&](const events::ContainerDelete& e) { return field("id", e.id); },
                        [&](const events::NamespaceCreate& e) { return named(e.name, &e.labels); },
                        [&](const events::NamespaceUpdate& e) { return named(e.name, &e.labels); },
                        [&](const events::NamespaceDelete& e) { return named(e.name, nullptr); },
                        [&](const events::SnapshotPrepare& e) -> std::optional<std::string> {
                          if (auto v = field("key", e.key)) return v;
                          return field("parent", e.parent);
                        },
                        [&](const events::SnapshotCommit& e) -> std::optional<std::string> {
                          if (auto v = field("key", e.key)) return v;
                          return field("name", e.name);
                        },
                        [&](const events::SnapshotRemove& e) { return field("key", e.key); },
                        [&](const events::ContentDelete& e) { return field("digest", e.digest); },
                        [&](const events::TaskExit& e) -> std::optional<std::string> {
                          if (auto v = field("container_id", e.container_id)) return v;
                          return field("id", e.id);
                        },
                        [&](const events::TaskDelete& e) -> std::optional<std::string> {
                          if (auto v = field("container_id", e.container_id)) return v;
                          return field("id", e.id);
                        },
                        [](const events::GcRun&) -> std::optional<std::string> { return std::nullopt; },
                        [](const events::OpaqueEvent&) -> std::optional<std::string> { return std::nullopt; },
                    },
                    envelope.event);
}

EventPublisher::~EventPublisher() = default;
Subscription::~Subscription() = default;

}  // namespace berth
