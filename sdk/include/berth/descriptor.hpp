// An OCI content descriptor: what a manifest, an index, a config or a layer
// is, by media type, digest and size.
#pragma once

#include <cstdint>
#include <string>

#include "berth/validate.hpp"

namespace berth {

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  Labels annotations;

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

}  // namespace berth
