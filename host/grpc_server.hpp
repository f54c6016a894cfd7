// The daemon's gRPC server on its unix socket. Services come from plugins
// offering berth::GrpcService; the server only listens once all are in.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "berth/grpc_service.hpp"
#include "berth/metrics.hpp"
#include "berth/status.hpp"
#include "config.hpp"

namespace grpc {
class Server;
class CallbackGenericService;
}  // namespace grpc

namespace berth::host {

// Where the calls' figures go (grpc_metrics.hpp); no sink, no figures.
struct GrpcMetrics {
  std::shared_ptr<MetricsSink> sink;
  bool histogram = false;  // [metrics] grpc_histogram
};

class GrpcServer {
 public:
  // Replaces a stale socket only when nothing answers on it, then listens
  // with mode 0660 and owner [grpc] uid:gid.
  static Result<std::unique_ptr<GrpcServer>> start(const GrpcConfig& config,
                                                   const std::vector<GrpcService*>& services,
                                                   const GrpcMetrics& metrics = {});
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Tells every service it is stopping (GrpcService::stopping), stops
  // accepting, lets calls in flight finish for up to `grace_ms`, then
  // cancels the rest and removes the socket. Idempotent.
  void shutdown(int grace_ms = 2000);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, std::string path, std::vector<GrpcService*> services);
  std::unique_ptr<grpc::CallbackGenericService> fallback_;  // must outlive server_
  std::unique_ptr<grpc::Server> server_;
  std::string path_;
  std::vector<GrpcService*> services_;  // owned by their plugins, which outlive the server
};

// The socket's path: the configured address without "unix://".
std::string grpc_socket_path(const GrpcConfig& config);

// Make `path` ready to bind (the ttrpc server's too). FailedPrecondition when a
// server answers there; InvalidArgument when it is not a socket or too long.
Status prepare_socket_path(const std::string& path);

}  // namespace berth::host
