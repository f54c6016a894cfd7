// grpc.health.v1.Health, answered by gRPC's own implementation: the plugin
// only switches it on, and it reports NOT_SERVING once shutdown begins.
#pragma once

#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"

namespace berth::api {

class HealthService final : public Instance, public GrpcService {
 public:
  void register_services(grpc::ServerBuilder& builder) override;
};

}  // namespace berth::api
