// The command line containerd gives a shim (runtime/v2/binary.go):
//   -namespace NS -address GRPC_SOCKET -publish-binary PATH -id ID
//   [-bundle DIR] [-debug] start|delete
// and, with no action, the long-lived shim that serves the task API.
// Go's flag syntax: -name value, -name=value, --name value.
#pragma once

#include <string>

#include "berth/status.hpp"

namespace berth::shim {

struct Flags {
  std::string ns;
  std::string address;         // containerd's (berthd's) gRPC socket: names our socket
  std::string publish_binary;  // unused: events go to TTRPC_ADDRESS over ttrpc
  std::string id;
  std::string bundle;  // the working directory when not given
  bool debug = false;
  std::string action;  // "start", "delete" or "" (serve)
};

// INVALID_ARGUMENT naming the flag that is unknown, lacks its value, or is
// required and missing.
Result<Flags> parse_flags(int argc, char** argv);

}  // namespace berth::shim
