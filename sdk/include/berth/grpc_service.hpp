// Plugins of type "io.containerd.grpc.v1" offer this interface: berthd asks
// every such plugin for its services before the server starts listening.
// Only API plugins implement it (and include gRPC themselves); backends never do.
#pragma once

#include <string_view>

namespace grpc {
class ServerBuilder;
}

namespace berth {

inline constexpr std::string_view kGrpcPluginType = "io.containerd.grpc.v1";

class GrpcService {
 public:
  virtual ~GrpcService();
  // Register services on the builder. They must outlive the server, which the
  // host guarantees by shutting the server down before closing any plugin.
  virtual void register_services(grpc::ServerBuilder& builder) = 0;
};

}  // namespace berth
