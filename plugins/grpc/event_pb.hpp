// Events between the SDK's plain structs (berth/events.hpp) and the wire:
// containerd.services.events.v1.Envelope with the payload in an Any whose
// type URL is the bare message name ("containerd.events.ImageCreate"), as
// containerd's typeurl writes it and its clients expect.
#pragma once

#include <google/protobuf/any.pb.h>

#include "berth/events.hpp"
#include "github.com/containerd/containerd/api/services/events/v1/events.pb.h"

namespace berth::api {

void to_any(const EventPayload& event, google::protobuf::Any* out);
// A payload of a type Berth knows becomes its struct (so filters see its
// fields); any other type is kept as an OpaqueEvent. InvalidArgument for a
// known type whose bytes do not decode.
Result<EventPayload> from_any(const google::protobuf::Any& any);

void to_pb(const Envelope& envelope, containerd::services::events::v1::Envelope* out);

}  // namespace berth::api
