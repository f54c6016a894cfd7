#include "snapshots_service.hpp"

#include <string>
#include <vector>

#include "grpc_status.hpp"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

// ctr sends a batch of infos per message; containerd sends up to 100.
constexpr int kListBatch = 100;

void to_pb(const SnapshotInfo& info, snapshots_v1::Info* pb) {
  pb->set_name(info.name);
  pb->set_parent(info.parent);
  pb->set_kind(static_cast<snapshots_v1::Kind>(info.kind));
  set_time(info.created_at, pb->mutable_created_at());
  set_time(info.updated_at, pb->mutable_updated_at());
  for (const auto& [k, v] : info.labels) (*pb->mutable_labels())[k] = v;
}

}  // namespace

Result<std::unique_ptr<Snapshotter>> SnapshotsService::snapshotter(const grpc::ServerContext& ctx,
                                                                   const std::string& name) {
  if (name.empty()) return invalid_argument("snapshotter argument missing");
  auto ns = request_namespace(ctx);
  if (!ns.ok()) return ns.status();
  return snapshots_->get(ContentScope{std::move(*ns), request_lease(ctx)}, name);
}

grpc::Status SnapshotsService::Prepare(grpc::ServerContext* ctx,
                                       const snapshots_v1::PrepareSnapshotRequest* req,
                                       snapshots_v1::PrepareSnapshotResponse* out) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  auto mounts = (*sn)->prepare(req->key(), req->parent(), Labels(req->labels().begin(), req->labels().end()));
  if (!mounts.ok()) return to_grpc(mounts.status());
  to_pb(*mounts, out->mutable_mounts());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::View(grpc::ServerContext* ctx, const snapshots_v1::ViewSnapshotRequest* req,
                                    snapshots_v1::ViewSnapshotResponse* out) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  auto mounts = (*sn)->view(req->key(), req->parent(), Labels(req->labels().begin(), req->labels().end()));
  if (!mounts.ok()) return to_grpc(mounts.status());
  to_pb(*mounts, out->mutable_mounts());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Mounts(grpc::ServerContext* ctx, const snapshots_v1::MountsRequest* req,
                                      snapshots_v1::MountsResponse* out) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  auto mounts = (*sn)->mounts(req->key());
  if (!mounts.ok()) return to_grpc(mounts.status());
  to_pb(*mounts, out->mutable_mounts());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Commit(grpc::ServerContext* ctx,
                                      const snapshots_v1::CommitSnapshotRequest* req,
                                      google::protobuf::Empty*) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  return to_grpc((*sn)->commit(req->name(), req->key(), Labels(req->labels().begin(), req->labels().end())));
}

grpc::Status SnapshotsService::Remove(grpc::ServerContext* ctx,
                                      const snapshots_v1::RemoveSnapshotRequest* req,
                                      google::protobuf::Empty*) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  return to_grpc((*sn)->remove(req->key()));
}

grpc::Status SnapshotsService::Stat(grpc::ServerContext* ctx, const snapshots_v1::StatSnapshotRequest* req,
                                    snapshots_v1::StatSnapshotResponse* out) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  auto info = (*sn)->stat(req->key());
  if (!info.ok()) return to_grpc(info.status());
  to_pb(*info, out->mutable_info());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Update(grpc::ServerContext* ctx,
                                      const snapshots_v1::UpdateSnapshotRequest* req,
                                      snapshots_v1::UpdateSnapshotResponse* out) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  SnapshotInfo info;
  info.name = req->info().name();
  info.labels = Labels(req->info().labels().begin(), req->info().labels().end());
  const std::vector<std::string> paths(req->update_mask().paths().begin(), req->update_mask().paths().end());
  auto updated = (*sn)->update(info, paths);
  if (!updated.ok()) return to_grpc(updated.status());
  to_pb(*updated, out->mutable_info());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::List(grpc::ServerContext* ctx, const snapshots_v1::ListSnapshotsRequest* req,
                                    grpc::ServerWriter<snapshots_v1::ListSnapshotsResponse>* writer) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  // containerd treats an empty filter string as "match all".
  std::vector<std::string> filters;
  for (const auto& f : req->filters()) {
    if (!f.empty()) filters.push_back(f);
  }
  snapshots_v1::ListSnapshotsResponse batch;
  bool gone = false;
  Status st = (*sn)->walk(filters, [&](const SnapshotInfo& info) {
    to_pb(info, batch.add_info());
    if (batch.info_size() >= kListBatch) {
      gone = !writer->Write(batch);
      batch.Clear();
    }
    return !gone;
  });
  if (!st.ok()) return to_grpc(st);
  if (gone) return {grpc::StatusCode::CANCELLED, "client went away"};
  if (batch.info_size() > 0 && !writer->Write(batch))
    return {grpc::StatusCode::CANCELLED, "client went away"};
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Usage(grpc::ServerContext* ctx, const snapshots_v1::UsageRequest* req,
                                     snapshots_v1::UsageResponse* out) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  auto usage = (*sn)->usage(req->key());
  if (!usage.ok()) return to_grpc(usage.status());
  out->set_size(usage->size);
  out->set_inodes(usage->inodes);
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Cleanup(grpc::ServerContext* ctx, const snapshots_v1::CleanupRequest* req,
                                       google::protobuf::Empty*) {
  auto sn = snapshotter(*ctx, req->snapshotter());
  if (!sn.ok()) return to_grpc(sn.status());
  return to_grpc((*sn)->cleanup());
}

}  // namespace berth::api
