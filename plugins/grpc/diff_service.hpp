// containerd.services.diff.v1.Diff over the first loaded differ plugin
// (io.containerd.differ.v1, the walking differ): Apply a layer onto mounts,
// and Diff two sets of mounts into a new layer in the content store. Both
// are scoped to the request's namespace (and lease).
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/diff.hpp"
#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "github.com/containerd/containerd/api/services/diff/v1/diff.grpc.pb.h"

namespace berth::api {

namespace diff_v1 = containerd::services::diff::v1;

class DiffService final : public Instance, public GrpcService, public diff_v1::Diff::Service {
 public:
  explicit DiffService(std::shared_ptr<Differ> differ) : differ_(std::move(differ)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Apply(grpc::ServerContext*, const diff_v1::ApplyRequest* req,
                     diff_v1::ApplyResponse* out) override;
  grpc::Status Diff(grpc::ServerContext*, const diff_v1::DiffRequest* req,
                    diff_v1::DiffResponse* out) override;

 private:
  std::shared_ptr<Differ> differ_;
};

}  // namespace berth::api
