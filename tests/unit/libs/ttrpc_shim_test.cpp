// libs/ttrpc against the real thing: Debian's containerd-shim-runc-v2
// (containerd 1.6), started as containerd starts it (tests/support's
// RuncShim). Our Client calls its task service; our Server receives the
// events it forwards to TTRPC_ADDRESS.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "google/protobuf/empty.pb.h"
#include "runc_shim.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "ttrpc/client.hpp"
#include "ttrpc/server.hpp"
#include "ttrpc/typed.hpp"

namespace berth::ttrpc {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace task = containerd::task::v2;
namespace events = containerd::services::events::ttrpc::v1;
using test::kShimTaskService;

constexpr char kNamespace[] = "berth-ttrpc-test";

// What the shim forwarded to our events server.
struct Forwarded {
  std::string topic;
  std::string ns;
  std::optional<std::string> metadata_namespace;
  std::string type_url;
  std::string value;
};

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the shim and runc need root";
    ASSERT_TRUE(fs::exists(test::kRuncShim)) << test::kRuncShim << " is missing: install Debian's containerd";
    shim_.emplace(dir_.path(), kNamespace,
                  "berth-ttrpc-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    grpc_address_ = (dir_ / "berthd.sock").string();
    ttrpc_address_ = grpc_address_ + ".ttrpc";
  }

  void TearDown() override {
    if (shim_ && HasFailure()) std::cerr << shim_->logs();
    shim_.reset();  // kills a shim left running, deletes a container left behind
  }

  std::string start_shim() {
    auto address = shim_->start(grpc_address_, ttrpc_address_);
    EXPECT_OK(test::status_of(address));
    return address.ok() ? *address : std::string();
  }

  std::unique_ptr<Client> connect() {
    auto client = shim_->connect();
    EXPECT_OK(test::status_of(client));
    return client.ok() ? std::move(client).value() : nullptr;
  }

  test::TempDir dir_;
  std::optional<test::RuncShim> shim_;
  std::string grpc_address_;
  std::string ttrpc_address_;
};

TEST_F(ShimTest, ConnectThenShutdown) {
  ASSERT_OK(shim_->write_minimal_bundle());
  start_shim();
  ASSERT_FALSE(HasFailure());
  auto client = connect();
  ASSERT_NE(client, nullptr);
  const pid_t shim_pid = shim_->pid();
  ASSERT_GT(shim_pid, 0);

  // Its status codes and messages come through as the Go server sends them.
  auto no_method = client->call(kShimTaskService, "Nope", "");
  EXPECT_CODE(no_method, Code::kUnimplemented);
  EXPECT_EQ(no_method.status().message(), "method Nope");
  auto no_service = client->call("containerd.task.v9.Nope", "Connect", "");
  EXPECT_CODE(no_service, Code::kUnimplemented);
  EXPECT_EQ(no_service.status().message(), "service containerd.task.v9.Nope");
  task::StateRequest state;
  state.set_id("no-such-container");
  auto missing = call<task::StateResponse>(*client, kShimTaskService, "State", state);
  EXPECT_CODE(missing, Code::kNotFound);
  EXPECT_NE(missing.status().message().find("container not created"), std::string::npos)
      << missing.status().message();

  // Many calls in flight on one connection.
  std::vector<std::future<bool>> calls;
  calls.reserve(8);
  for (int t = 0; t < 8; ++t) {
    calls.push_back(std::async(std::launch::async, [&] {
      for (int i = 0; i < 25; ++i) {
        task::ConnectRequest req;
        req.set_id(shim_->id());
        auto resp = call<task::ConnectResponse>(*client, kShimTaskService, "Connect", req, 10s);
        if (!resp.ok() || static_cast<pid_t>(resp->shim_pid()) != shim_pid) return false;
      }
      return true;
    }));
  }
  for (auto& c : calls) EXPECT_TRUE(c.get());

  EXPECT_OK(shim_->shut_down(*client));
}

// A busybox container through Create, Start, Wait (blocking while other
// calls go by), Delete; the shim forwards each task event to our Server on
// TTRPC_ADDRESS, as it would to containerd.
TEST_F(ShimTest, TaskLifecycleForwardsEventsToOurServer) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Forwarded> forwarded;
  Server events_server;
  handle<events::ForwardRequest, google::protobuf::Empty>(
      events_server, "containerd.services.events.ttrpc.v1.Events", "Forward",
      [&](const events::ForwardRequest& req, const Call& call) -> Result<google::protobuf::Empty> {
        std::lock_guard lock(mu);
        forwarded.push_back({req.envelope().topic(), req.envelope().namespace_(),
                             metadata_value(call.metadata, "containerd-namespace-ttrpc"),
                             req.envelope().event().type_url(), req.envelope().event().value()});
        cv.notify_all();
        return google::protobuf::Empty();
      });
  ASSERT_OK(events_server.listen(ttrpc_address_));
  const auto wait_for_topic = [&](const std::string& topic) -> std::optional<Forwarded> {
    std::unique_lock lock(mu);
    std::optional<Forwarded> found;
    cv.wait_for(lock, 10s, [&] {
      for (const auto& f : forwarded) {
        if (f.topic == topic) found = f;
      }
      return found.has_value();
    });
    return found;
  };

  // busybox-static as the whole rootfs, a process exiting 3.
  ASSERT_OK(shim_->write_busybox_bundle({"/bin/busybox", "sh", "-c", "exit 3"}));
  start_shim();
  ASSERT_FALSE(HasFailure());
  auto client = connect();
  ASSERT_NE(client, nullptr);

  auto created = shim_->create(*client);
  ASSERT_OK(test::status_of(created));
  EXPECT_GT(created->pid(), 0u);
  auto ev = wait_for_topic("/tasks/create");
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->ns, kNamespace);
  EXPECT_EQ(ev->metadata_namespace, kNamespace);
  EXPECT_EQ(ev->type_url, "containerd.events.TaskCreate");

  // Wait blocks until the process exits; Start and State go by meanwhile.
  auto waited = std::async(std::launch::async, [&] { return shim_->wait(*client); });
  std::this_thread::sleep_for(100ms);
  task::StateRequest state_req;
  state_req.set_id(shim_->id());
  auto state = call<task::StateResponse>(*client, kShimTaskService, "State", state_req, 10s);
  ASSERT_OK(test::status_of(state));
  EXPECT_EQ(state->pid(), created->pid());
  EXPECT_EQ(waited.wait_for(0s), std::future_status::timeout);

  ASSERT_OK(test::status_of(shim_->start_task(*client)));
  auto exit_status = waited.get();
  ASSERT_OK(test::status_of(exit_status));
  EXPECT_EQ(exit_status->exit_status(), 3u);
  EXPECT_TRUE(wait_for_topic("/tasks/start").has_value());
  auto exited = wait_for_topic("/tasks/exit");
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(exited->type_url, "containerd.events.TaskExit");
  containerd::events::TaskExit exit_event;
  ASSERT_TRUE(exit_event.ParseFromString(exited->value));
  EXPECT_EQ(exit_event.container_id(), shim_->id());
  EXPECT_EQ(exit_event.exit_status(), 3u);

  auto deleted = shim_->remove(*client);
  ASSERT_OK(test::status_of(deleted));
  EXPECT_EQ(deleted->exit_status(), 3u);
  EXPECT_TRUE(wait_for_topic("/tasks/delete").has_value());

  EXPECT_OK(shim_->shut_down(*client));
}

}  // namespace
}  // namespace berth::ttrpc
