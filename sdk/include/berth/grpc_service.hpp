// Plugins of type "io.containerd.grpc.v1" offer this interface: berthd asks
// every such plugin for its services before the server starts listening.
// Only API plugins implement it (and include gRPC themselves); backends never do:
// berthd serves no plugin of another type, and warns about one offering it.
//
// A service plugin is handed berthd's own grpc::ServerBuilder, so it must be
// built against the gRPC and protobuf berthd runs. Including this header puts
// the versions it was compiled with in the library's .berth_grpc section,
// which berthd compares with its own before loading the library.
#pragma once

#include <google/protobuf/stubs/common.h>
#include <grpcpp/version_info.h>

#include <string_view>

#include "berth/plugin.hpp"

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
  // The server is about to stop: end the calls that would otherwise run
  // until their client leaves (subscriptions, watches), so shutdown need not
  // wait out its grace period for them. Calls in flight keep that period to
  // finish. Called once, from the thread that stops the server.
  virtual void stopping() {}
};

namespace detail {
// One per library however many files include this header (an inline
// variable: the linker keeps one copy).
BERTH_PLUGIN_SECTION(BERTH_PLUGIN_GRPC_SECTION)
inline constexpr berth_plugin_grpc_record kGrpcRecord{BERTH_PLUGIN_GRPC_MAGIC,
                                                      sizeof(berth_plugin_grpc_record),
                                                      GOOGLE_PROTOBUF_VERSION, GRPC_CPP_VERSION_STRING};
}  // namespace detail

}  // namespace berth
