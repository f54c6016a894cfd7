// Puts an image into the daemon as containerd's client does: blobs into the
// content store (with the garbage collector's reference labels), the image
// record, and its layers unpacked into committed snapshots named by chain ID.
// Call it under a lease: until the image record and the labels exist, only
// the lease keeps what was written.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "image_source.hpp"
#include "session.hpp"

namespace client_run {

struct StoredImage {
  std::string name;
  Descriptor target;
  nlohmann::json config;     // the image config blob, parsed
  std::string top_chain_id;  // the snapshot a container's snapshot is prepared on
  int layers = 0;
  int layers_unpacked = 0;  // the others were already there
};

// `report` is called with a line for each step, to print.
Result<StoredImage> store_image(Session& session, ImageSource& source, const std::string& name,
                                const std::string& snapshotter,
                                const std::function<void(const std::string&)>& report);

}  // namespace client_run
