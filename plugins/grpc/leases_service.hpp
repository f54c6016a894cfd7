// containerd.services.leases.v1.Leases over the leases-service
// (berth::LeaseStore), in transactions of the metadata database.
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/gc.hpp"
#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"

namespace berth::api {

namespace leases_v1 = containerd::services::leases::v1;

class LeasesService final : public Instance, public GrpcService, public leases_v1::Leases::Service {
 public:
  LeasesService(std::shared_ptr<Metadata> metadata, std::shared_ptr<LeaseStore> store,
                std::shared_ptr<GcScheduler> gc = nullptr)
      : md_(std::move(metadata)), store_(std::move(store)), gc_(std::move(gc)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Create(grpc::ServerContext* ctx, const leases_v1::CreateRequest* req,
                      leases_v1::CreateResponse* out) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const leases_v1::DeleteRequest* req,
                      google::protobuf::Empty* out) override;
  grpc::Status List(grpc::ServerContext* ctx, const leases_v1::ListRequest* req,
                    leases_v1::ListResponse* out) override;
  grpc::Status AddResource(grpc::ServerContext* ctx, const leases_v1::AddResourceRequest* req,
                           google::protobuf::Empty* out) override;
  grpc::Status DeleteResource(grpc::ServerContext* ctx, const leases_v1::DeleteResourceRequest* req,
                              google::protobuf::Empty* out) override;
  grpc::Status ListResources(grpc::ServerContext* ctx, const leases_v1::ListResourcesRequest* req,
                             leases_v1::ListResourcesResponse* out) override;

 private:
  std::shared_ptr<Metadata> md_;  // transactions
  std::shared_ptr<LeaseStore> store_;
  std::shared_ptr<GcScheduler> gc_;  // null without the gc plugin: `sync` waits for nothing
};

}  // namespace berth::api
