// containerd.services.namespaces.v1.Namespaces over the namespaces-service
// (berth::NamespaceStore), in transactions of the metadata database.
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaces.hpp"
#include "github.com/containerd/containerd/api/services/namespaces/v1/namespace.grpc.pb.h"

namespace berth::api {

namespace namespaces_v1 = containerd::services::namespaces::v1;

class NamespacesService final : public Instance,
                                public GrpcService,
                                public namespaces_v1::Namespaces::Service {
 public:
  NamespacesService(std::shared_ptr<Metadata> metadata, std::shared_ptr<NamespaceStore> store)
      : md_(std::move(metadata)), store_(std::move(store)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Get(grpc::ServerContext*, const namespaces_v1::GetNamespaceRequest* req,
                   namespaces_v1::GetNamespaceResponse* out) override;
  grpc::Status List(grpc::ServerContext*, const namespaces_v1::ListNamespacesRequest* req,
                    namespaces_v1::ListNamespacesResponse* out) override;
  grpc::Status Create(grpc::ServerContext*, const namespaces_v1::CreateNamespaceRequest* req,
                      namespaces_v1::CreateNamespaceResponse* out) override;
  grpc::Status Update(grpc::ServerContext*, const namespaces_v1::UpdateNamespaceRequest* req,
                      namespaces_v1::UpdateNamespaceResponse* out) override;
  grpc::Status Delete(grpc::ServerContext*, const namespaces_v1::DeleteNamespaceRequest* req,
                      google::protobuf::Empty* out) override;

 private:
  std::shared_ptr<Metadata> md_;  // transactions
  std::shared_ptr<NamespaceStore> store_;
};

}  // namespace berth::api
