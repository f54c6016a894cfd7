// containerd.services.snapshots.v1.Snapshots over the snapshots-service
// (berth::NamespacedSnapshots): the request's `snapshotter` field picks the
// plugin by id, and every call is scoped to the request's namespace (and lease).
#pragma once

#include <grpcpp/server_builder.h>

#include <memory>

#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/namespaced_snapshots.hpp"
#include "berth/snapshotter.hpp"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"

namespace berth::api {

namespace snapshots_v1 = containerd::services::snapshots::v1;

class SnapshotsService final : public Instance, public GrpcService, public snapshots_v1::Snapshots::Service {
 public:
  explicit SnapshotsService(std::shared_ptr<NamespacedSnapshots> snapshots)
      : snapshots_(std::move(snapshots)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }

  grpc::Status Prepare(grpc::ServerContext*, const snapshots_v1::PrepareSnapshotRequest* req,
                       snapshots_v1::PrepareSnapshotResponse* out) override;
  grpc::Status View(grpc::ServerContext*, const snapshots_v1::ViewSnapshotRequest* req,
                    snapshots_v1::ViewSnapshotResponse* out) override;
  grpc::Status Mounts(grpc::ServerContext*, const snapshots_v1::MountsRequest* req,
                      snapshots_v1::MountsResponse* out) override;
  grpc::Status Commit(grpc::ServerContext*, const snapshots_v1::CommitSnapshotRequest* req,
                      google::protobuf::Empty* out) override;
  grpc::Status Remove(grpc::ServerContext*, const snapshots_v1::RemoveSnapshotRequest* req,
                      google::protobuf::Empty* out) override;
  grpc::Status Stat(grpc::ServerContext*, const snapshots_v1::StatSnapshotRequest* req,
                    snapshots_v1::StatSnapshotResponse* out) override;
  grpc::Status Update(grpc::ServerContext*, const snapshots_v1::UpdateSnapshotRequest* req,
                      snapshots_v1::UpdateSnapshotResponse* out) override;
  grpc::Status List(grpc::ServerContext*, const snapshots_v1::ListSnapshotsRequest* req,
                    grpc::ServerWriter<snapshots_v1::ListSnapshotsResponse>* writer) override;
  grpc::Status Usage(grpc::ServerContext*, const snapshots_v1::UsageRequest* req,
                     snapshots_v1::UsageResponse* out) override;
  grpc::Status Cleanup(grpc::ServerContext*, const snapshots_v1::CleanupRequest* req,
                       google::protobuf::Empty* out) override;

 private:
  // The named snapshotter as the request's namespace and lease see it.
  Result<std::unique_ptr<Snapshotter>> snapshotter(const grpc::ServerContext& ctx, const std::string& name);

  std::shared_ptr<NamespacedSnapshots> snapshots_;
};

}  // namespace berth::api
