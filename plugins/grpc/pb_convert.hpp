// Conversions between the SDK's types and containerd's protobuf types that
// several services share: timestamps, Any values, mounts, descriptors, images.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/repeated_field.h>
#include <google/protobuf/timestamp.pb.h>

#include <vector>

#include "berth/any_value.hpp"
#include "berth/content_store.hpp"
#include "berth/diff.hpp"
#include "berth/images.hpp"
#include "berth/mount.hpp"
#include "github.com/containerd/containerd/api/services/images/v1/images.pb.h"
#include "github.com/containerd/containerd/api/types/descriptor.pb.h"
#include "github.com/containerd/containerd/api/types/mount.pb.h"

namespace berth::api {

void set_time(TimestampNs ns, google::protobuf::Timestamp* ts);
TimestampNs time_of(const google::protobuf::Timestamp& ts);

void to_pb(const std::vector<Mount>& mounts,
           google::protobuf::RepeatedPtrField<containerd::types::Mount>* out);
std::vector<Mount> from_pb(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& mounts);

void to_pb(const Descriptor& d, containerd::types::Descriptor* out);
Descriptor from_pb(const containerd::types::Descriptor& d);

void to_pb(const Image& image, containerd::services::images::v1::Image* pb);

void to_pb(const AnyValue& any, google::protobuf::Any* out);
AnyValue from_pb(const google::protobuf::Any& any);

}  // namespace berth::api
