// Container records with containerd's semantics and messages
// (metadata/containers.go), stored through any berth::Transaction under
// keys::container_key. The instance of the io.containerd.service.v1 plugin
// "containers-service"; it holds no state but its event publisher, as every
// call runs in the caller's transaction. Creates, updates and deletes are
// announced (/containers/create|update|delete) once that transaction commits.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/containers.hpp"
#include "berth/events.hpp"
#include "berth/instance.hpp"

namespace berth::metadata {

class KvContainerStore final : public Instance, public ContainerStore {
 public:
  // `events` null: nothing is announced.
  explicit KvContainerStore(std::shared_ptr<EventPublisher> events = nullptr) : events_(std::move(events)) {}

  Result<Container> get(Transaction& tx, std::string_view ns, std::string_view id) override;
  // InvalidArgument for a filter that does not parse. An unknown namespace
  // simply has no containers.
  Result<std::vector<Container>> list(Transaction& tx, std::string_view ns,
                                      const std::vector<std::string>& filters) override;
  // Creates the namespace too when nobody has yet, as containerd does.
  Result<Container> create(Transaction& tx, std::string_view ns, const Container& container) override;
  Result<Container> update(Transaction& tx, std::string_view ns, const Container& container,
                           const std::vector<std::string>& fieldpaths) override;
  Status remove(Transaction& tx, std::string_view ns, std::string_view id) override;

 private:
  std::shared_ptr<EventPublisher> events_;
};

// InvalidArgument (containerd's messages) unless `container` may be stored.
Status validate_container(const Container& container);

}  // namespace berth::metadata
