// The API edge: request metadata and status conversion.
#include "grpc_status.hpp"

#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

namespace berth::api {
namespace {

TEST(RequestNamespace, MissingIsFailedPreconditionAsContainerd) {
  grpc::ServerContext ctx;
  auto ns = request_namespace(ctx);
  ASSERT_FALSE(ns.ok());
  EXPECT_EQ(ns.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(ns.status().message(), "namespace is required");
  EXPECT_EQ(to_grpc(ns.status()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(RequestNamespace, ReadsAndValidatesTheHeader) {
  grpc::ServerContext ctx;
  grpc::testing::ServerContextTestSpouse spouse(&ctx);
  spouse.AddClientMetadata("containerd-namespace", "k8s.io");
  spouse.AddClientMetadata("containerd-lease", "lease-1");
  auto ns = request_namespace(ctx);
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(*ns, "k8s.io");
  EXPECT_EQ(request_lease(ctx), "lease-1");

  grpc::ServerContext bad;
  grpc::testing::ServerContextTestSpouse bad_spouse(&bad);  // owns the metadata
  bad_spouse.AddClientMetadata("containerd-namespace", "../etc");
  EXPECT_EQ(request_namespace(bad).status().code(), Code::kInvalidArgument);
}

TEST(ToGrpc, KeepsCodeAndMessage) {
  auto s = to_grpc(not_found("namespace \"x\": not found"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "namespace \"x\": not found");
  EXPECT_TRUE(to_grpc(Status()).ok());
}

}  // namespace
}  // namespace berth::api
