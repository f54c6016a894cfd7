// Image records as a transfer leaves them: created, or, when the name is
// taken, pointed at the new target (and given the new labels, if any), as
// containerd's pull and import do.
#pragma once

#include <string>

#include "berth/images.hpp"
#include "berth/metadata.hpp"
#include "berth/status.hpp"

namespace berth::transfer {

// Within the caller's transaction `tx`.
Result<Image> record_image(Transaction& tx, ImageStore& images, const std::string& ns,
                           const std::string& name, const Descriptor& target, const Labels& labels);
// In a transaction of its own.
Result<Image> record_image(Metadata& metadata, ImageStore& images, const std::string& ns,
                           const std::string& name, const Descriptor& target, const Labels& labels);

}  // namespace berth::transfer
