// One container's record as stored under keys::container_key: CBOR, because
// a container carries protobuf-encoded values (its OCI spec, runtime options,
// extensions) that CBOR holds as byte strings, where JSON would need them
// re-encoded.
#pragma once

#include <string>
#include <string_view>

#include "berth/containers.hpp"
#include "berth/status.hpp"

namespace berth::metadata {

std::string encode_container(const Container& container);
// DataLoss naming the container when `value` is not a record this code wrote.
Result<Container> decode_container(std::string_view id, std::string_view value);

}  // namespace berth::metadata
