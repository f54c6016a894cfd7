// berth.services.transfer.v1.Transfer (Berth's own service, api/berth/...)
// over the transfer plugin (berth::Transfer): pulls and pushes run in the
// daemon and stream their progress back.
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/services/transfer/v1/transfer.grpc.pb.h"
#include "berth/transfer.hpp"

namespace berth::api {

namespace transfer_v1 = berth::services::transfer::v1;

class TransferService final : public Instance, public GrpcService, public transfer_v1::Transfer::Service {
 public:
  explicit TransferService(std::shared_ptr<berth::Transfer> transfer) : transfer_(std::move(transfer)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Pull(grpc::ServerContext* ctx, const transfer_v1::PullRequest* req,
                    grpc::ServerWriter<transfer_v1::PullProgress>* writer) override;
  grpc::Status Push(grpc::ServerContext* ctx, const transfer_v1::PushRequest* req,
                    grpc::ServerWriter<transfer_v1::PushProgress>* writer) override;

 private:
  std::shared_ptr<berth::Transfer> transfer_;
};

}  // namespace berth::api
