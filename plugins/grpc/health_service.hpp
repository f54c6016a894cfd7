// grpc.health.v1.Health as containerd answers it (grpc-go's health server):
// the server as a whole, the empty service name, is SERVING until shutdown
// begins and NOT_SERVING from then on; any other name is NOT_FOUND to Check
// and SERVICE_UNKNOWN to Watch.
//
// Served on the synchronous API like every other service, not by gRPC's
// built-in health service: that one is callback-based, and in Debian's gRPC
// (1.51) one callback service makes the server start two threads of its own
// that poll the server's sockets beside the synchronous server's threads.
// Every message of every call could then be read on one thread and handed
// to another (16,000-21,000 context switches per GiB of berth's ingest
// against 12,500-15,700 without them), and each thread woke ten times a
// second when idle.
#pragma once

#include <condition_variable>
#include <mutex>

#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "grpc/health/v1/health.grpc.pb.h"

namespace berth::api {

class HealthService final : public Instance, public GrpcService, public grpc::health::v1::Health::Service {
 public:
  void register_services(grpc::ServerBuilder& builder) override;
  void stopping() override;

  grpc::Status Check(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::health::v1::HealthCheckResponse* out) override;
  // Sends the status now and again whenever it changes, until the client
  // goes away or the server stops.
  grpc::Status Watch(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  grpc::health::v1::HealthCheckResponse::ServingStatus status();

  std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
};

}  // namespace berth::api
