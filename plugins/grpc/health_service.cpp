#include "health_service.hpp"

#include <grpcpp/server_builder.h>

#include <chrono>

namespace berth::api {
namespace {

using grpc::health::v1::HealthCheckResponse;

// How often a Watch looks whether its client is still there.
constexpr std::chrono::milliseconds kCancelPoll{200};

}  // namespace

void HealthService::register_services(grpc::ServerBuilder& builder) { builder.RegisterService(this); }

void HealthService::stopping() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
}

HealthCheckResponse::ServingStatus HealthService::status() {
  std::lock_guard lock(mu_);
  return stopping_ ? HealthCheckResponse::NOT_SERVING : HealthCheckResponse::SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext* /*ctx*/,
                                  const grpc::health::v1::HealthCheckRequest* req, HealthCheckResponse* out) {
  if (!req->service().empty())
    return {grpc::StatusCode::NOT_FOUND, "unknown service \"" + req->service() + "\""};
  out->set_status(status());
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  // An unknown name is not an error to Watch: the service may yet appear
  // (it never does here).
  const bool known = req->service().empty();
  HealthCheckResponse out;
  out.set_status(known ? status() : HealthCheckResponse::SERVICE_UNKNOWN);
  if (!writer->Write(out)) return grpc::Status::OK;  // the client went away
  std::unique_lock lock(mu_);
  while (!ctx->IsCancelled() && !stopping_) changed_.wait_for(lock, kCancelPoll);
  const bool stopped = stopping_;
  lock.unlock();
  // The one change there is: shutdown began. The server ends the call next.
  if (stopped && known && out.status() != HealthCheckResponse::NOT_SERVING) {
    out.set_status(HealthCheckResponse::NOT_SERVING);
    writer->Write(out);
  }
  return grpc::Status::OK;
}

}  // namespace berth::api
