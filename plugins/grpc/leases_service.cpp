#include "leases_service.hpp"

#include <chrono>
#include <random>

#include "grpc_status.hpp"

namespace berth::api {
namespace {

void to_pb(const Lease& lease, leases_v1::Lease* pb) {
  pb->set_id(lease.id);
  pb->mutable_created_at()->set_seconds(lease.created_at / 1'000'000'000);
  pb->mutable_created_at()->set_nanos(static_cast<int32_t>(lease.created_at % 1'000'000'000));
  for (const auto& [k, v] : lease.labels) (*pb->mutable_labels())[k] = v;
}

// As containerd's leases.WithRandomID: the time and a few random bytes.
std::string random_lease_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  char suffix[7];
  std::snprintf(suffix, sizeof(suffix), "%06x", static_cast<unsigned>(rng() & 0xffffff));
  return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()) + "-" + suffix;
}

LeaseResource resource_of(const leases_v1::Resource& pb) { return {pb.id(), pb.type()}; }

}  // namespace

grpc::Status LeasesService::Create(grpc::ServerContext* ctx, const leases_v1::CreateRequest* req,
                                   leases_v1::CreateResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  Lease lease{
      req->id().empty() ? random_lease_id() : req->id(), 0, {req->labels().begin(), req->labels().end()}};
  Status s = md_->update([&](Transaction& tx) -> Status {
    auto created = store_->create(tx, *ns, lease);
    if (!created.ok()) return created.status();
    to_pb(*created, out->mutable_lease());
    return {};
  });
  return to_grpc(s);
}

// With `sync` the answer waits for the collection the delete causes, so
// what only the lease held is gone when it comes.
grpc::Status LeasesService::Delete(grpc::ServerContext* ctx, const leases_v1::DeleteRequest* req,
                                   google::protobuf::Empty*) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  if (Status st = md_->update([&](Transaction& tx) { return store_->remove(tx, *ns, req->id()); }); !st.ok())
    return to_grpc(st);
  if (req->sync() && gc_) return to_grpc(gc_->schedule_and_wait().status());
  return grpc::Status::OK;
}

grpc::Status LeasesService::List(grpc::ServerContext* ctx, const leases_v1::ListRequest* req,
                                 leases_v1::ListResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  std::vector<std::string> filters;
  for (const auto& f : req->filters()) {
    if (!f.empty()) filters.push_back(f);  // ctr sends "" for "no filter"
  }
  Status s = md_->view([&](Transaction& tx) -> Status {
    auto all = store_->list(tx, *ns, filters);
    if (!all.ok()) return all.status();
    for (const auto& lease : *all) to_pb(lease, out->add_leases());
    return {};
  });
  return to_grpc(s);
}

grpc::Status LeasesService::AddResource(grpc::ServerContext* ctx, const leases_v1::AddResourceRequest* req,
                                        google::protobuf::Empty*) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  return to_grpc(md_->update([&](Transaction& tx) {
    return store_->add_resource(tx, *ns, req->id(), resource_of(req->resource()));
  }));
}

grpc::Status LeasesService::DeleteResource(grpc::ServerContext* ctx,
                                           const leases_v1::DeleteResourceRequest* req,
                                           google::protobuf::Empty*) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  return to_grpc(md_->update([&](Transaction& tx) {
    return store_->delete_resource(tx, *ns, req->id(), resource_of(req->resource()));
  }));
}

grpc::Status LeasesService::ListResources(grpc::ServerContext* ctx,
                                          const leases_v1::ListResourcesRequest* req,
                                          leases_v1::ListResourcesResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  Status s = md_->view([&](Transaction& tx) -> Status {
    auto all = store_->list_resources(tx, *ns, req->id());
    if (!all.ok()) return all.status();
    for (const auto& r : *all) {
      auto* pb = out->add_resources();
      pb->set_id(r.id);
      pb->set_type(r.type);
    }
    return {};
  });
  return to_grpc(s);
}

}  // namespace berth::api
