// What a plugin's init returns: one object that lives until shutdown.
#pragma once

#include "berth/status.hpp"

namespace berth {

// Base of every object a plugin hands to the host. Concrete plugins inherit
// from Instance and from the SDK interfaces they offer (Metadata, GrpcService,
// ...); other plugins reach those interfaces through InitContext's get_as<I>(),
// first_of<I>() and all_of<I>().
// The class's key function lives in libberth-sdk.so, so its type_info is one
// object shared by host and plugins and dynamic_cast works across libraries.
class Instance {
 public:
  Instance() = default;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  virtual ~Instance();

  // Called once at shutdown, in reverse init order, before the last reference
  // is dropped. Stop threads and flush here; the default does nothing.
  virtual Status close();
};

}  // namespace berth
