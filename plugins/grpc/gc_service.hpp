// berth.services.gc.v1.GC (api/berth/services/gc/v1/gc.proto) over the gc
// scheduler (berth::GcScheduler): what `berth gc` calls.
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/gc.hpp"
#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/services/gc/v1/gc.grpc.pb.h"

namespace berth::api {

namespace gc_v1 = ::berth::services::gc::v1;

class GcService final : public Instance, public GrpcService, public gc_v1::GC::Service {
 public:
  explicit GcService(std::shared_ptr<GcScheduler> gc) : gc_(std::move(gc)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Collect(grpc::ServerContext* ctx, const gc_v1::CollectRequest* req,
                       gc_v1::CollectResponse* out) override;

 private:
  std::shared_ptr<GcScheduler> gc_;
};

}  // namespace berth::api
