// Namespaces with containerd's semantics and messages, stored through any
// berth::Transaction under the layout in keys.hpp. The instance of the
// io.containerd.service.v1 plugin "namespaces-service"; it holds no state but
// its event publisher, as every call runs in the caller's transaction.
// Explicit creates, label changes and deletes are announced
// (/namespaces/create|update|delete) once that transaction commits; a
// namespace made implicitly by another store (ensure_namespace) is not, as
// in containerd.
#pragma once

#include <memory>
#include <string_view>

#include "berth/events.hpp"
#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaces.hpp"

namespace berth::metadata {

class KvNamespaceStore final : public Instance, public NamespaceStore {
 public:
  // `events` null: nothing is announced.
  explicit KvNamespaceStore(std::shared_ptr<EventPublisher> events = nullptr) : events_(std::move(events)) {}

  Status create(Transaction& tx, const Namespace& ns) override;
  // NotFound `namespace "x": not found` when absent.
  Result<Namespace> get(Transaction& tx, std::string_view name) override;
  Result<std::vector<Namespace>> list(Transaction& tx) override;
  // NotFound when the namespace is absent (containerd would create it).
  Status set_labels(Transaction& tx, std::string_view name, const Labels& labels) override;
  Status replace_labels(Transaction& tx, std::string_view name, const Labels& labels) override;
  // Refuses while images, blobs, containers or snapshots remain; removes the
  // namespace's leases (and anything else under it) along with it.
  Status remove(Transaction& tx, std::string_view name) override;

 private:
  // /namespaces/update with the labels `name` has once `tx` holds the change.
  Status announce_update(Transaction& tx, std::string_view name);

  std::shared_ptr<EventPublisher> events_;
};

// Creates the namespace if it does not exist yet, as containerd does when an
// object is created in a namespace nobody created explicitly. Stores of
// namespaced objects call this before writing under the namespace.
Status ensure_namespace(Transaction& tx, std::string_view name);

}  // namespace berth::metadata
