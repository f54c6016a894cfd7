#include "containers_service.hpp"

#include <string>
#include <vector>

#include "grpc_status.hpp"
#include "pb_convert.hpp"

namespace berth::api {
namespace {

Container from_pb(const containers_v1::Container& pb) {
  Container c;
  c.id = pb.id();
  c.labels = {pb.labels().begin(), pb.labels().end()};
  c.image = pb.image();
  if (pb.has_runtime()) {
    c.runtime.name = pb.runtime().name();
    if (pb.runtime().has_options()) c.runtime.options = api::from_pb(pb.runtime().options());
  }
  if (pb.has_spec()) c.spec = api::from_pb(pb.spec());
  c.snapshotter = pb.snapshotter();
  c.snapshot_key = pb.snapshot_key();
  for (const auto& [name, any] : pb.extensions()) c.extensions.emplace(name, api::from_pb(any));
  return c;
}

void to_pb(const Container& c, containers_v1::Container* pb) {
  pb->set_id(c.id);
  pb->mutable_labels()->insert(c.labels.begin(), c.labels.end());
  pb->set_image(c.image);
  pb->mutable_runtime()->set_name(c.runtime.name);
  if (c.runtime.options) api::to_pb(*c.runtime.options, pb->mutable_runtime()->mutable_options());
  if (c.spec) api::to_pb(*c.spec, pb->mutable_spec());
  pb->set_snapshotter(c.snapshotter);
  pb->set_snapshot_key(c.snapshot_key);
  set_time(c.created_at, pb->mutable_created_at());
  set_time(c.updated_at, pb->mutable_updated_at());
  for (const auto& [name, any] : c.extensions) api::to_pb(any, &(*pb->mutable_extensions())[name]);
}

}  // namespace

grpc::Status ContainersService::Get(grpc::ServerContext* ctx, const containers_v1::GetContainerRequest* req,
                                    containers_v1::GetContainerResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  return to_grpc(md_->view([&](Transaction& tx) -> Status {
    auto container = store_->get(tx, *ns, req->id());
    if (!container.ok()) return container.status();
    to_pb(*container, out->mutable_container());
    return {};
  }));
}

Result<std::vector<Container>> ContainersService::list(grpc::ServerContext* ctx,
                                                       const containers_v1::ListContainersRequest& req) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return ns.status();
  std::vector<std::string> filters;
  for (const auto& f : req.filters()) {
    if (!f.empty()) filters.push_back(f);  // ctr sends "" for "no filter"
  }
  Result<std::vector<Container>> all = std::vector<Container>();
  BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) -> Status {
    all = store_->list(tx, *ns, filters);
    return all.status();
  }));
  return all;
}

grpc::Status ContainersService::List(grpc::ServerContext* ctx,
                                     const containers_v1::ListContainersRequest* req,
                                     containers_v1::ListContainersResponse* out) {
  auto all = list(ctx, *req);
  if (!all.ok()) return to_grpc(all.status());
  for (const auto& c : *all) to_pb(c, out->add_containers());
  return grpc::Status::OK;
}

grpc::Status ContainersService::ListStream(grpc::ServerContext* ctx,
                                           const containers_v1::ListContainersRequest* req,
                                           grpc::ServerWriter<containers_v1::ListContainerMessage>* writer) {
  auto all = list(ctx, *req);
  if (!all.ok()) return to_grpc(all.status());
  containers_v1::ListContainerMessage msg;
  for (const auto& c : *all) {
    msg.Clear();
    to_pb(c, msg.mutable_container());
    if (!writer->Write(msg)) return to_grpc(cancelled("the client stopped reading the container list"));
  }
  return grpc::Status::OK;
}

grpc::Status ContainersService::Create(grpc::ServerContext* ctx,
                                       const containers_v1::CreateContainerRequest* req,
                                       containers_v1::CreateContainerResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  return to_grpc(md_->update([&](Transaction& tx) -> Status {
    auto created = store_->create(tx, *ns, from_pb(req->container()));
    if (!created.ok()) return created.status();
    to_pb(*created, out->mutable_container());
    return {};
  }));
}

grpc::Status ContainersService::Update(grpc::ServerContext* ctx,
                                       const containers_v1::UpdateContainerRequest* req,
                                       containers_v1::UpdateContainerResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  const std::vector<std::string> paths(req->update_mask().paths().begin(), req->update_mask().paths().end());
  return to_grpc(md_->update([&](Transaction& tx) -> Status {
    auto updated = store_->update(tx, *ns, from_pb(req->container()), paths);
    if (!updated.ok()) return updated.status();
    to_pb(*updated, out->mutable_container());
    return {};
  }));
}

grpc::Status ContainersService::Delete(grpc::ServerContext* ctx,
                                       const containers_v1::DeleteContainerRequest* req,
                                       google::protobuf::Empty*) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  return to_grpc(md_->update([&](Transaction& tx) { return store_->remove(tx, *ns, req->id()); }));
}

}  // namespace berth::api
