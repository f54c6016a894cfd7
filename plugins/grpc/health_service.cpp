#include "health_service.hpp"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

namespace berth::api {

void HealthService::register_services(grpc::ServerBuilder&) {
  // Read by the server when it is built, which happens after every plugin
  // has registered, so enabling it here is in time.
  grpc::EnableDefaultHealthCheckService(true);
}

}  // namespace berth::api
