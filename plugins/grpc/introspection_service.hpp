// containerd.services.introspection.v1.Introspection: the plugin set with
// each plugin's state, and the server's UUID (kept across restarts).
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>
#include <string>

#include "berth/grpc_service.hpp"
#include "berth/init_context.hpp"
#include "berth/instance.hpp"
#include "github.com/containerd/containerd/api/services/introspection/v1/introspection.grpc.pb.h"

namespace berth::api {

namespace introspection_v1 = containerd::services::introspection::v1;

class IntrospectionService final : public Instance,
                                   public GrpcService,
                                   public introspection_v1::Introspection::Service {
 public:
  static Result<std::shared_ptr<Instance>> create(InitContext& ctx);

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }
  grpc::Status Plugins(grpc::ServerContext*, const introspection_v1::PluginsRequest* req,
                       introspection_v1::PluginsResponse* out) override;
  grpc::Status Server(grpc::ServerContext*, const google::protobuf::Empty*,
                      introspection_v1::ServerResponse* out) override;

 private:
  IntrospectionService(std::shared_ptr<const PluginSet> plugins, std::string uuid)
      : plugins_(std::move(plugins)), uuid_(std::move(uuid)) {}
  std::shared_ptr<const PluginSet> plugins_;
  std::string uuid_;
};

// Reads <dir>/uuid, creating it (durably) on first start.
Result<std::string> load_or_create_uuid(const std::filesystem::path& dir);

}  // namespace berth::api
