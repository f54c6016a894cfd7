// Image records with containerd's semantics and messages, stored through any
// berth::Transaction under the layout in keys.hpp, one JSON record per image.
// The instance of the io.containerd.service.v1 plugin "images-service"; it
// holds no state, as every call runs in the caller's transaction. Creates,
// updates and deletes are announced (/images/create|update|delete) once the
// caller's transaction commits, whoever made them: the Images API, a pull in
// the daemon, an import.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/events.hpp"
#include "berth/images.hpp"
#include "berth/instance.hpp"

namespace berth::metadata {

class KvImageStore final : public Instance, public ImageStore {
 public:
  // `events` null: nothing is announced.
  explicit KvImageStore(std::shared_ptr<EventPublisher> events = nullptr) : events_(std::move(events)) {}

  Result<Image> get(Transaction& tx, std::string_view ns, std::string_view name) override;
  // InvalidArgument for a filter that does not parse. An unknown namespace
  // simply has no images.
  Result<std::vector<Image>> list(Transaction& tx, std::string_view ns,
                                  const std::vector<std::string>& filters) override;
  // Creates the namespace too when nobody has yet, as containerd does.
  Result<Image> create(Transaction& tx, std::string_view ns, const Image& image) override;
  Result<Image> update(Transaction& tx, std::string_view ns, const Image& image,
                       const std::vector<std::string>& fieldpaths) override;
  Status remove(Transaction& tx, std::string_view ns, std::string_view name) override;

 private:
  std::shared_ptr<EventPublisher> events_;
};

// InvalidArgument unless `image` may be stored: a name without NUL, a target
// with a media type, a valid digest and a size of at least 0, valid labels.
Status validate_image(const Image& image);

}  // namespace berth::metadata
