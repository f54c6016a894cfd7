// A protobuf Any carried through the SDK without protobuf: its type URL and
// its encoded bytes, kept exactly as a client sent them (a container's OCI
// spec, runtime options, extensions). Plugins that understand a type decode
// it themselves; the rest pass it on untouched.
#pragma once

#include <string>

namespace berth {

struct AnyValue {
  std::string type_url;  // "types.containerd.io/opencontainers/runtime-spec/1/Spec"
  std::string value;     // the encoded message

  friend bool operator==(const AnyValue&, const AnyValue&) = default;
};

}  // namespace berth
