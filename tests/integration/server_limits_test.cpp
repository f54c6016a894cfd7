// berthd's bounds on what clients can make it hold: calls in flight (each
// holds a server thread), the threads that come with them, and the config
// keys that set those bounds.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"
#include "harness.hpp"

namespace berth::test {
namespace {

namespace content_v1 = containerd::services::content::v1;
using WriteStream =
    grpc::ClientReaderWriter<content_v1::WriteContentRequest, content_v1::WriteContentResponse>;

int threads_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

// A Write stream that has opened its ingest and now holds still, holding one
// of the server's calls.
struct HeldStream {
  grpc::ClientContext ctx;
  std::unique_ptr<WriteStream> stream;
  grpc::Status status;  // set when the server refused it
  bool open = false;

  HeldStream(content_v1::Content::Stub& stub, const std::string& ref) {
    ctx.AddMetadata("containerd-namespace", "default");
    stream = stub.Write(&ctx);
    content_v1::WriteContentRequest req;
    req.set_action(content_v1::STAT);
    req.set_ref(ref);
    content_v1::WriteContentResponse resp;
    open = stream->Write(req) && stream->Read(&resp);
    if (!open) status = stream->Finish();
  }
  ~HeldStream() {
    if (!open) return;
    stream->WritesDone();
    content_v1::WriteContentResponse rest;
    while (stream->Read(&rest)) {
    }
    (void)stream->Finish();
  }
  HeldStream(const HeldStream&) = delete;
  HeldStream& operator=(const HeldStream&) = delete;
};

class ServerLimitsTest : public ::testing::Test {
 protected:
  void start(const std::string& grpc_keys) {
    const auto config = dir_.path() / "config.toml";
    std::ofstream(config) << "version = 2\n[grpc]\n" << grpc_keys << "\n";
    std::string why;
    ASSERT_TRUE(daemon_.start({"--config", config.string()}, why)) << why;
    auto channel = grpc::CreateChannel("unix:" + daemon_.address(), grpc::InsecureChannelCredentials());
    content_ = content_v1::Content::NewStub(channel);
  }

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path()};
  std::unique_ptr<content_v1::Content::Stub> content_;
};

// Before the cap every held stream took a thread of its own: 2,000 idle
// Write streams made 2,017 threads. Now the calls beyond the cap are refused
// with RESOURCE_EXHAUSTED, the daemon's threads stay bounded, and the slots
// come back when the streams end.
TEST_F(ServerLimitsTest, CallsBeyondMaxConcurrentCallsAreRefusedAndThreadsStayBounded) {
  start("max_concurrent_calls = 8");
  const int threads_idle = threads_of(daemon_.pid());
  ASSERT_GT(threads_idle, 0);
  std::vector<std::unique_ptr<HeldStream>> held;
  int open = 0;
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    held.push_back(std::make_unique<HeldStream>(*content_, "held-" + std::to_string(i)));
    if (held.back()->open) {
      ++open;
    } else {
      EXPECT_EQ(held.back()->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << held.back()->status.error_message();
      ++refused;
    }
  }
  EXPECT_EQ(open, 8);
  EXPECT_EQ(open + refused, 40);
  // The cap's threads and the one waiting for calls; not one per stream.
  EXPECT_LE(threads_of(daemon_.pid()), threads_idle + 8 + 1) << "threads idle: " << threads_idle;

  held.clear();
  // Freed slots serve new calls.
  for (int i = 0; i < 8; ++i) {
    HeldStream again(*content_, "again-" + std::to_string(i));
    EXPECT_TRUE(again.open) << again.status.error_message();
  }
  EXPECT_TRUE(daemon_.running());
}

TEST_F(ServerLimitsTest, OutOfRangeLimitsStopTheDaemonNamingTheKey) {
  for (const char* keys :
       {"max_recv_message_size = -1", "max_send_message_size = 4294967296", "max_concurrent_calls = 0"}) {
    const auto config = dir_.path() / "bad.toml";
    std::ofstream(config) << "version = 2\n[grpc]\n" << keys << "\n";
    std::string why;
    EXPECT_FALSE(daemon_.start({"--config", config.string()}, why)) << keys;
    const std::string key = std::string(keys).substr(0, std::string(keys).find(' '));
    EXPECT_NE(why.find("grpc." + key), std::string::npos) << why;
    EXPECT_NE(why.find("must be between"), std::string::npos) << why;
  }
}

}  // namespace
}  // namespace berth::test
