// containerd.services.containers.v1.Containers over the containers-service
// (berth::ContainerStore), in transactions of the metadata database.
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/containers.hpp"
#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"

namespace berth::api {

namespace containers_v1 = containerd::services::containers::v1;

class ContainersService final : public Instance,
                                public GrpcService,
                                public containers_v1::Containers::Service {
 public:
  ContainersService(std::shared_ptr<Metadata> metadata, std::shared_ptr<ContainerStore> store)
      : md_(std::move(metadata)), store_(std::move(store)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Get(grpc::ServerContext* ctx, const containers_v1::GetContainerRequest* req,
                   containers_v1::GetContainerResponse* out) override;
  grpc::Status List(grpc::ServerContext* ctx, const containers_v1::ListContainersRequest* req,
                    containers_v1::ListContainersResponse* out) override;
  // What `ctr containers ls` calls: one message per container.
  grpc::Status ListStream(grpc::ServerContext* ctx, const containers_v1::ListContainersRequest* req,
                          grpc::ServerWriter<containers_v1::ListContainerMessage>* writer) override;
  grpc::Status Create(grpc::ServerContext* ctx, const containers_v1::CreateContainerRequest* req,
                      containers_v1::CreateContainerResponse* out) override;
  grpc::Status Update(grpc::ServerContext* ctx, const containers_v1::UpdateContainerRequest* req,
                      containers_v1::UpdateContainerResponse* out) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const containers_v1::DeleteContainerRequest* req,
                      google::protobuf::Empty* out) override;

 private:
  Result<std::vector<Container>> list(grpc::ServerContext* ctx,
                                      const containers_v1::ListContainersRequest& req);

  std::shared_ptr<Metadata> md_;  // transactions
  std::shared_ptr<ContainerStore> store_;
};

}  // namespace berth::api
