// One image as the JSON value of its record (keys::image_key):
//   {"target": {"mediaType", "digest", "size", "annotations"},
//    "labels": {...}, "createdAt": ns, "updatedAt": ns}
// The name is the key, so it is not repeated in the value.
#pragma once

#include <string>
#include <string_view>

#include "berth/images.hpp"

namespace berth::metadata {

std::string encode_image(const Image& image);
// DataLoss naming the image when the value is not a record this code wrote.
Result<Image> decode_image(std::string_view name, std::string_view value);

}  // namespace berth::metadata
