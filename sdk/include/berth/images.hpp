// Image records, as containerd's: a name (any string, usually a reference
// such as "docker.io/library/busybox:latest") pointing at a target
// descriptor (a manifest or an index in the content store), with labels and
// creation and update times.
//
// Offered by the io.containerd.service.v1 plugin "images-service"
// (berth/services.hpp). Every call runs inside a transaction of the metadata
// database (berth/metadata.hpp) that the caller opens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/descriptor.hpp"
#include "berth/metadata.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

struct Image {
  std::string name;
  Descriptor target;
  Labels labels;
  int64_t created_at = 0;  // ns since the epoch
  int64_t updated_at = 0;
};

class ImageStore {
 public:
  virtual ~ImageStore();
  // NotFound `image "x": not found`.
  virtual Result<Image> get(Transaction& tx, std::string_view ns, std::string_view name) = 0;
  // Sorted by name. Filter fields: name, target.mediatype, target.digest,
  // labels.<key>.
  virtual Result<std::vector<Image>> list(Transaction& tx, std::string_view ns,
                                          const std::vector<std::string>& filters) = 0;
  // AlreadyExists if the name is taken; InvalidArgument for an empty name, a
  // target without media type or with a bad digest, or bad labels. Sets both
  // times to now.
  virtual Result<Image> create(Transaction& tx, std::string_view ns, const Image& image) = 0;
  // Replaces the fields named in `fieldpaths` ("labels", "labels.<key>",
  // "target", "annotations", "annotations.<key>"; none: the whole image but
  // its creation time) and sets the update time. NotFound if absent;
  // InvalidArgument for another field or an invalid result.
  virtual Result<Image> update(Transaction& tx, std::string_view ns, const Image& image,
                               const std::vector<std::string>& fieldpaths) = 0;
  // NotFound if absent.
  virtual Status remove(Transaction& tx, std::string_view ns, std::string_view name) = 0;
};

}  // namespace berth
