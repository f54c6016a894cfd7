#include "ttrpc_server.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "grpc_server.hpp"
#include "ttrpc/server.hpp"

namespace berth::host {

std::string ttrpc_socket_path(const GrpcConfig& config) { return grpc_socket_path(config) + ".ttrpc"; }

TtrpcServer::TtrpcServer() : server_(std::make_unique<ttrpc::Server>()) {}

TtrpcServer::~TtrpcServer() { shutdown(); }

Result<std::unique_ptr<TtrpcServer>> TtrpcServer::start(const std::string& path,
                                                        const std::vector<TtrpcService*>& services) {
  auto out = std::unique_ptr<TtrpcServer>(new TtrpcServer());
  for (TtrpcService* service : services) service->register_ttrpc(*out);
  if (out->methods_ == 0) {
    spdlog::info("no plugin serves ttrpc; not listening on {}", path);
    return std::unique_ptr<TtrpcServer>();
  }
  if (Status s = prepare_socket_path(path); !s.ok()) return s.with_context("ttrpc socket");
  // The socket is 0600 and the server takes only callers of our own uid
  // (SO_PEERCRED): its callers are shims, which berthd starts as itself
  // (root), unlike the gRPC socket's [grpc] uid:gid clients.
  if (Status s = out->server_->listen(path); !s.ok()) return s.with_context("ttrpc socket");
  out->path_ = path;
  spdlog::info("serving ttrpc on {} ({} methods)", path, out->methods_);
  return out;
}

void TtrpcServer::handle(std::string_view service, std::string_view method, TtrpcHandler handler) {
  ++methods_;
  server_->handle(std::string(service), std::string(method),
                  [handler = std::move(handler)](const ttrpc::Call& call) -> Result<std::string> {
                    // The SDK's own call type: plugins never see libs/ttrpc's.
                    const TtrpcCall plain{
                        .payload = call.payload, .metadata = call.metadata, .deadline = call.deadline};
                    return handler(plain);
                  });
}

void TtrpcServer::shutdown() {
  // The ttrpc Server removes its own socket (only if still its own).
  if (server_) server_->shutdown();
}

}  // namespace berth::host
