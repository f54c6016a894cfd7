#include "gc_service.hpp"

#include "grpc_status.hpp"

namespace berth::api {

grpc::Status GcService::Collect(grpc::ServerContext*, const gc_v1::CollectRequest* req,
                                gc_v1::CollectResponse* out) {
  // A real run goes through the schedule, so it neither overlaps a
  // scheduled one nor is counted apart from them.
  auto result = req->dry_run() ? gc_->dry_run() : gc_->schedule_and_wait();
  if (!result.ok()) return to_grpc(result.status());
  out->set_dry_run(result->dry_run);
  out->set_duration_ns(result->duration_ns);
  out->set_pause_ns(result->pause_ns);
  for (const auto& r : result->removed) {
    auto* pb = out->add_removed();
    pb->set_kind(r.kind);
    pb->set_namespace_(r.ns);
    pb->set_id(r.id);
  }
  return grpc::Status::OK;
}

}  // namespace berth::api
