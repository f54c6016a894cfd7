// Plugins of type "io.containerd.grpc.v1" may offer this interface beside
// GrpcService, as containerd's services implement both Register and
// RegisterTTRPC: berthd asks every such plugin for its ttrpc methods and
// serves them at the gRPC address + ".ttrpc", where containerd's shims send
// their events (TTRPC_ADDRESS). When no plugin offers any, berthd does not
// listen there at all.
//
// Only plain types cross here: the server itself (libs/ttrpc) is no part of
// the SDK, so a plugin never depends on its layout. A handler decodes its
// protobuf payload itself.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/status.hpp"

namespace berth {

// One ttrpc request as a handler sees it.
struct TtrpcCall {
  std::string payload;  // the request message, encoded
  // The caller's metadata in wire order; a key may repeat. containerd's
  // ttrpc lower-cases keys (a shim sends "containerd-namespace-ttrpc").
  std::vector<std::pair<std::string, std::string>> metadata;
  // When the caller stops waiting, if it sent a timeout. Nothing stops a
  // handler that runs past it.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// The encoded response, or the status the caller receives (its code and
// message go on the wire as google.rpc.Status).
using TtrpcHandler = std::function<Result<std::string>(const TtrpcCall&)>;

// Where services put their methods. Owned by berthd and only valid during
// register_ttrpc.
class TtrpcRegistry {
 public:
  virtual ~TtrpcRegistry();
  // Serves `service`/`method` ("containerd.services.events.ttrpc.v1.Events",
  // "Forward") with `handler`, replacing any earlier one. Handlers run on
  // threads of the server's, several at once, until the server has shut
  // down, which berthd does before closing any plugin.
  virtual void handle(std::string_view service, std::string_view method, TtrpcHandler handler) = 0;
};

class TtrpcService {
 public:
  virtual ~TtrpcService();
  virtual void register_ttrpc(TtrpcRegistry& registry) = 0;
};

}  // namespace berth
