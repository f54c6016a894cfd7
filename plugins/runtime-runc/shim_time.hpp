// Times as shims send them (google.protobuf.Timestamp), in the SDK's terms.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>

namespace berth::runtime_runc {

// Nanoseconds since the epoch; 0 for Go's zero time (what a shim sends for
// "not exited") and anything else before the epoch.
inline int64_t ns_of(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() <= 0) return 0;
  return ts.seconds() * 1'000'000'000 + ts.nanos();
}

}  // namespace berth::runtime_runc
