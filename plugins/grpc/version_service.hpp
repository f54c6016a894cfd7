// containerd.services.version.v1.Version: the daemon's version and revision.
#pragma once

#include <grpcpp/server_builder.h>

#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "github.com/containerd/containerd/api/services/version/v1/version.grpc.pb.h"

namespace berth::api {

class VersionService final : public Instance,
                             public GrpcService,
                             public containerd::services::version::v1::Version::Service {
 public:
  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }
  grpc::Status Version(grpc::ServerContext*, const google::protobuf::Empty*,
                       containerd::services::version::v1::VersionResponse* out) override;
};

}  // namespace berth::api
