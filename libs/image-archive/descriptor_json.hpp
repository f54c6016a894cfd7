// Descriptors and indexes as JSON, field for field in the order Go's
// encoding/json writes containerd's ocispec structs (mediaType, digest, size,
// annotations with sorted keys, platform), so a document Berth makes from the
// same inputs has containerd's bytes and digest.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "berth/descriptor.hpp"
#include "platforms/platforms.hpp"

namespace berth::image_archive {

using OrderedJson = nlohmann::ordered_json;

OrderedJson descriptor_json(const Descriptor& desc, const std::optional<platforms::Platform>& platform = {});

// {"schemaVersion":2,"manifests":[...]}: containerd writes no mediaType here.
std::string index_document(const std::vector<OrderedJson>& manifests);

}  // namespace berth::image_archive
