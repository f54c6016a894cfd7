// grpc.health.v1.Health against berthd: what containerd's answers (grpc-go's
// health server) say, and that serving it starts no threads of gRPC's own.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "../support/temp_dir.hpp"
#include "grpc/health/v1/health.grpc.pb.h"
#include "harness.hpp"

namespace berth::test {
namespace {

namespace health_v1 = grpc::health::v1;

class HealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto config = dir_.path() / "config.toml";
    std::ofstream(config) << "version = 2\n";
    std::string why;
    ASSERT_TRUE(daemon_.start({"--config", config.string()}, why)) << why;
    health_ = health_v1::Health::NewStub(
        grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status check(const std::string& service, health_v1::HealthCheckResponse& out) {
    grpc::ClientContext ctx;
    health_v1::HealthCheckRequest req;
    req.set_service(service);
    return health_->Check(&ctx, req, &out);
  }

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path()};
  std::unique_ptr<health_v1::Health::Stub> health_;
};

TEST_F(HealthTest, TheServerIsServingAndAnUnknownServiceIsNotFound) {
  health_v1::HealthCheckResponse out;
  ASSERT_TRUE(check("", out).ok());
  EXPECT_EQ(out.status(), health_v1::HealthCheckResponse::SERVING);
  const grpc::Status unknown = check("no.such.Service", out);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(unknown.error_message().find("no.such.Service"), std::string::npos) << unknown.error_message();
}

TEST_F(HealthTest, AWatchSeesServingThenNotServingWhenTheDaemonStops) {
  grpc::ClientContext ctx;
  health_v1::HealthCheckRequest req;
  auto stream = health_->Watch(&ctx, req);
  health_v1::HealthCheckResponse out;
  ASSERT_TRUE(stream->Read(&out));
  EXPECT_EQ(out.status(), health_v1::HealthCheckResponse::SERVING);

  std::thread stopper([&] { EXPECT_EQ(daemon_.stop(SIGTERM), 0) << daemon_.log(); });
  ASSERT_TRUE(stream->Read(&out)) << "the watch ended without a word";
  EXPECT_EQ(out.status(), health_v1::HealthCheckResponse::NOT_SERVING);
  while (stream->Read(&out)) {
  }
  (void)stream->Finish();
  stopper.join();
}

TEST_F(HealthTest, AWatchOfAnUnknownServiceSaysSoAndHoldsUntilCancelled) {
  grpc::ClientContext ctx;
  health_v1::HealthCheckRequest req;
  req.set_service("no.such.Service");
  auto stream = health_->Watch(&ctx, req);
  health_v1::HealthCheckResponse out;
  ASSERT_TRUE(stream->Read(&out));
  EXPECT_EQ(out.status(), health_v1::HealthCheckResponse::SERVICE_UNKNOWN);
  ctx.TryCancel();
  EXPECT_FALSE(stream->Read(&out));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(daemon_.running());
}

// gRPC's built-in health service is callback-based, and one callback service
// made Debian's gRPC start two "nexting_thread"s polling the server's sockets
// beside the synchronous server's threads (twice the context switches per
// message). berthd serves the health service synchronously instead.
TEST_F(HealthTest, ServingHealthStartsNoCallbackPollingThreads) {
  health_v1::HealthCheckResponse out;
  ASSERT_TRUE(check("", out).ok());
  const auto tasks = std::filesystem::path("/proc") / std::to_string(daemon_.pid()) / "task";
  int threads = 0;
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::string name;
    std::getline(std::ifstream(task.path() / "comm"), name);
    EXPECT_NE(name, "nexting_thread");
    ++threads;
  }
  EXPECT_GT(threads, 0);
}

}  // namespace
}  // namespace berth::test
