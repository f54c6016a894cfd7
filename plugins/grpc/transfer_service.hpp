// berth.services.transfer.v1.Transfer (Berth's own service, api/berth/...)
// over the transfer plugin (berth::Transfer): pulls, pushes and imports run
// in the daemon and stream their progress back; exports stream the archive.
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
  // The archive is read from the stream on the handler's thread, as the
  // import asks for bytes; progress goes back on the same thread.
  grpc::Status Import(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<transfer_v1::ImportProgress, transfer_v1::ImportRequest>* stream) override;
  grpc::Status Export(grpc::ServerContext* ctx, const transfer_v1::ExportRequest* req,
                      grpc::ServerWriter<transfer_v1::ExportResponse>* writer) override;

 private:
  std::shared_ptr<berth::Transfer> transfer_;
};

}  // namespace berth::api
