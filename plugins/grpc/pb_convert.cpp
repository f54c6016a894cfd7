#include "pb_convert.hpp"

namespace berth::api {

void set_time(TimestampNs ns, google::protobuf::Timestamp* ts) {
  constexpr int64_t kNsPerSec = 1'000'000'000;
  int64_t secs = ns / kNsPerSec;
  int64_t nanos = ns % kNsPerSec;
  if (nanos < 0) {
    nanos += kNsPerSec;
    --secs;
  }
  ts->set_seconds(secs);
  ts->set_nanos(static_cast<int32_t>(nanos));
}

TimestampNs time_of(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1'000'000'000 + ts.nanos();
}

void to_pb(const std::vector<Mount>& mounts,
           google::protobuf::RepeatedPtrField<containerd::types::Mount>* out) {
  for (const auto& m : mounts) {
    auto* pb = out->Add();
    pb->set_type(m.type);
    pb->set_source(m.source);
    pb->set_target(m.target);
    for (const auto& o : m.options) pb->add_options(o);
  }
}

std::vector<Mount> from_pb(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& mounts) {
  std::vector<Mount> out;
  out.reserve(static_cast<std::size_t>(mounts.size()));
  for (const auto& pb : mounts) {
    out.push_back(Mount{pb.type(), pb.source(), pb.target(), {pb.options().begin(), pb.options().end()}});
  }
  return out;
}

void to_pb(const Descriptor& d, containerd::types::Descriptor* out) {
  out->set_media_type(d.media_type);
  out->set_digest(d.digest);
  out->set_size(d.size);
  for (const auto& [k, v] : d.annotations) (*out->mutable_annotations())[k] = v;
}

Descriptor from_pb(const containerd::types::Descriptor& d) {
  return Descriptor{d.media_type(), d.digest(), d.size(),
                    Labels(d.annotations().begin(), d.annotations().end())};
}

void to_pb(const Image& image, containerd::services::images::v1::Image* pb) {
  pb->set_name(image.name);
  for (const auto& [k, v] : image.labels) (*pb->mutable_labels())[k] = v;
  to_pb(image.target, pb->mutable_target());
  set_time(image.created_at, pb->mutable_created_at());
  set_time(image.updated_at, pb->mutable_updated_at());
}

void to_pb(const AnyValue& any, google::protobuf::Any* out) {
  out->set_type_url(any.type_url);
  out->set_value(any.value);
}

AnyValue from_pb(const google::protobuf::Any& any) { return AnyValue{any.type_url(), any.value()}; }

}  // namespace berth::api
