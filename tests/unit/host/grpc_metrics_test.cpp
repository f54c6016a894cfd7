// The labels the gRPC call figures carry: go-grpc-prometheus's spelling.
#include "grpc_metrics.hpp"

#include <grpcpp/support/status.h>
#include <gtest/gtest.h>

namespace berth::host {
namespace {

TEST(GrpcMetrics, SplitsFullMethodIntoServiceAndMethod) {
  EXPECT_EQ(split_grpc_method("/containerd.services.tasks.v1.Tasks/Create"),
            (std::pair<std::string, std::string>{"containerd.services.tasks.v1.Tasks", "Create"}));
  EXPECT_EQ(split_grpc_method("/grpc.health.v1.Health/Check").first, "grpc.health.v1.Health");
  EXPECT_EQ(split_grpc_method("odd").first, "unknown");
}

TEST(GrpcMetrics, CodeNamesAsGoSpellsThem) {
  EXPECT_EQ(grpc_code_name(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(grpc_code_name(grpc::StatusCode::CANCELLED), "Canceled");
  EXPECT_EQ(grpc_code_name(grpc::StatusCode::NOT_FOUND), "NotFound");
  EXPECT_EQ(grpc_code_name(grpc::StatusCode::FAILED_PRECONDITION), "FailedPrecondition");
  EXPECT_EQ(grpc_code_name(grpc::StatusCode::UNAUTHENTICATED), "Unauthenticated");
  EXPECT_EQ(grpc_code_name(99), "Unknown");
}

}  // namespace
}  // namespace berth::host
