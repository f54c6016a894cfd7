// The daemon's ttrpc server at the gRPC address + ".ttrpc", containerd's
// TTRPC_ADDRESS: where shims send their events. Methods come from plugins
// offering berth::TtrpcService; with none, nothing listens.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "berth/ttrpc_service.hpp"
#include "config.hpp"

namespace berth::ttrpc {
class Server;
}

namespace berth::host {

// "<grpc socket path>.ttrpc", containerd's convention, which shims find in
// TTRPC_ADDRESS.
std::string ttrpc_socket_path(const GrpcConfig& config);

class TtrpcServer final : public TtrpcRegistry {
 public:
  // Asks every service for its methods, then listens at `path` (a stale
  // socket is replaced as the gRPC server replaces its own; a live one is
  // FailedPrecondition). With no service, or none registering a method,
  // returns nullptr and listens nowhere: a socket that answers every call
  // UNIMPLEMENTED would only make shims' events vanish without a trace.
  static Result<std::unique_ptr<TtrpcServer>> start(const std::string& path,
                                                    const std::vector<TtrpcService*>& services);
  ~TtrpcServer() override;
  TtrpcServer(const TtrpcServer&) = delete;
  TtrpcServer& operator=(const TtrpcServer&) = delete;

  void handle(std::string_view service, std::string_view method, TtrpcHandler handler) override;

  // Stops accepting, waits for the calls in flight, removes the socket.
  // Idempotent.
  void shutdown();

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  TtrpcServer();

  std::unique_ptr<ttrpc::Server> server_;
  std::string path_;
  int methods_ = 0;
};

}  // namespace berth::host
