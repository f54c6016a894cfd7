// libs/ttrpc against the real thing: Debian's containerd-shim-runc-v2
// (containerd 1.6), started as containerd starts it. Our Client calls its
// task service; our Server receives the events it forwards to TTRPC_ADDRESS.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "files/fd_io.hpp"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "google/protobuf/empty.pb.h"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "ttrpc/client.hpp"
#include "ttrpc/server.hpp"
#include "ttrpc/typed.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::ttrpc {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace task = containerd::task::v2;
namespace events = containerd::services::events::ttrpc::v1;

constexpr char kShim[] = "/usr/bin/containerd-shim-runc-v2";
constexpr char kTask[] = "containerd.task.v2.Task";
constexpr char kNamespace[] = "berth-ttrpc-test";

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

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
    ASSERT_TRUE(fs::exists(kShim)) << kShim << " is missing: install Debian's containerd";
    id_ = "berth-ttrpc-" + std::to_string(::getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name();
    bundle_ = dir_ / "bundle";
    fs::create_directories(bundle_);
    grpc_address_ = (dir_ / "berthd.sock").string();
    ttrpc_address_ = grpc_address_ + ".ttrpc";
    // containerd opens the shim's log fifo before starting it; the shim
    // blocks until someone has.
    ASSERT_EQ(::mkfifo((bundle_ / "log").c_str(), 0700), 0);
    log_.reset(::open((bundle_ / "log").c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    ASSERT_TRUE(log_);
  }

  void TearDown() override {
    if (created_) {
      std::string out;
      test::run_shell("runc --root /run/containerd/runc/" + std::string(kNamespace) + " delete -f " + id_,
                      out);
    }
    // Only the shim we started, by the pid it told us.
    if (alive(shim_pid_) && owns(shim_pid_)) {
      ::kill(shim_pid_, SIGKILL);
      ADD_FAILURE() << "shim " << shim_pid_ << " was still running";
    }
    if (!socket_.empty() && fs::exists(socket_)) fs::remove(socket_);
    // runc's state root for our namespace, empty once the container is gone.
    std::error_code ec;
    fs::remove(fs::path("/run/containerd/runc") / kNamespace, ec);
    if (HasFailure()) dump_log();
  }

  // True when `pid` is the shim this test started (its -id is ours).
  bool owns(pid_t pid) const {
    auto cmdline = files::read_file("/proc/" + std::to_string(pid) + "/cmdline");
    return cmdline.ok() && cmdline->find(id_ + '\0') != std::string::npos;
  }

  void dump_log() {
    char buf[65536];
    const ssize_t n = ::read(log_.get(), buf, sizeof buf);
    if (n > 0) std::cerr << "shim log:\n" << std::string(buf, static_cast<std::size_t>(n)) << "\n";
    auto err = files::read_file(bundle_ / "start.log");
    if (err.ok()) std::cerr << "shim start stderr:\n" << *err << "\n";
  }

  // `containerd-shim-runc-v2 ... start` as containerd's runtime/v2/binary.go
  // runs it: in the bundle, TTRPC_ADDRESS set, stdin empty. It forks its
  // long-lived self and prints the socket's address.
  std::string start_shim() {
    const std::string cmd = "(cd '" + bundle_.string() + "' && TTRPC_ADDRESS='" + ttrpc_address_ + "' " +
                            kShim + " -namespace " + kNamespace + " -address '" + grpc_address_ +
                            "' -publish-binary /bin/false -id " + id_ + " start </dev/null 2>start.log)";
    std::string out;
    const int rc = test::run_shell(cmd, out);
    EXPECT_EQ(rc, 0) << out;
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    EXPECT_TRUE(out.starts_with("unix://")) << out;
    socket_ = socket_path(out);
    return out;
  }

  std::unique_ptr<Client> connect(const std::string& address) {
    auto client = Client::dial(address);
    EXPECT_OK(test::status_of(client));
    if (!client.ok()) return nullptr;
    task::ConnectRequest req;
    req.set_id(id_);
    auto resp = call<task::ConnectResponse>(**client, kTask, "Connect", req, 10s);
    EXPECT_OK(test::status_of(resp));
    if (resp.ok()) {
      shim_pid_ = static_cast<pid_t>(resp->shim_pid());
      EXPECT_TRUE(owns(shim_pid_)) << "Connect named pid " << shim_pid_ << ", not our shim";
    }
    return std::move(client).value();
  }

  // Shutdown makes an idle shim exit, with its socket gone.
  void shut_down(Client& client) {
    task::ShutdownRequest req;
    req.set_id(id_);
    auto done = call<google::protobuf::Empty>(client, kTask, "Shutdown", req, 10s);
    // The shim may exit before its answer is out: the connection closes.
    if (!done.ok()) {
      EXPECT_EQ(done.status().code(), Code::kUnavailable) << done.status().to_string();
    }
    EXPECT_TRUE(wait_until([&] { return !alive(shim_pid_); }, 10s)) << "shim " << shim_pid_ << " still runs";
    EXPECT_TRUE(wait_until([&] { return !fs::exists(socket_); }, 5s)) << socket_ << " left behind";
  }

  test::TempDir dir_;
  fs::path bundle_;
  std::string id_;
  std::string grpc_address_;
  std::string ttrpc_address_;
  std::string socket_;
  UniqueFd log_;
  pid_t shim_pid_ = -1;
  bool created_ = false;
};

TEST_F(ShimTest, ConnectThenShutdown) {
  { std::ofstream(bundle_ / "config.json") << R"({"ociVersion": "1.0.2"})"; }
  const std::string address = start_shim();
  ASSERT_FALSE(HasFailure());
  auto client = connect(address);
  ASSERT_NE(client, nullptr);
  ASSERT_GT(shim_pid_, 0);

  // Its status codes and messages come through as the Go server sends them.
  auto no_method = client->call(kTask, "Nope", "");
  EXPECT_CODE(no_method, Code::kUnimplemented);
  EXPECT_EQ(no_method.status().message(), "method Nope");
  auto no_service = client->call("containerd.task.v9.Nope", "Connect", "");
  EXPECT_CODE(no_service, Code::kUnimplemented);
  EXPECT_EQ(no_service.status().message(), "service containerd.task.v9.Nope");
  task::StateRequest state;
  state.set_id("no-such-container");
  auto missing = call<task::StateResponse>(*client, kTask, "State", state);
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
        req.set_id(id_);
        auto resp = call<task::ConnectResponse>(*client, kTask, "Connect", req, 10s);
        if (!resp.ok() || static_cast<pid_t>(resp->shim_pid()) != shim_pid_) return false;
      }
      return true;
    }));
  }
  for (auto& c : calls) EXPECT_TRUE(c.get());

  shut_down(*client);
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

  // The bundle: busybox-static as the whole rootfs, a process exiting 3.
  const fs::path rootfs = bundle_ / "rootfs";
  fs::create_directories(rootfs / "bin");
  fs::copy_file("/bin/busybox", rootfs / "bin/busybox");
  std::string out;
  ASSERT_EQ(test::run_shell("runc spec --bundle '" + bundle_.string() + "'", out), 0) << out;
  auto spec = nlohmann::json::parse(*files::read_file(bundle_ / "config.json"));
  spec["process"]["terminal"] = false;
  spec["process"]["args"] = {"/bin/busybox", "sh", "-c", "exit 3"};
  std::ofstream(bundle_ / "config.json") << spec.dump();

  const std::string address = start_shim();
  ASSERT_FALSE(HasFailure());
  auto client = connect(address);
  ASSERT_NE(client, nullptr);

  task::CreateTaskRequest create;
  create.set_id(id_);
  create.set_bundle(bundle_.string());
  auto created = call<task::CreateTaskResponse>(*client, kTask, "Create", create, 30s);
  ASSERT_OK(test::status_of(created));
  created_ = true;
  EXPECT_GT(created->pid(), 0u);
  auto ev = wait_for_topic("/tasks/create");
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->ns, kNamespace);
  EXPECT_EQ(ev->metadata_namespace, kNamespace);
  EXPECT_EQ(ev->type_url, "containerd.events.TaskCreate");

  // Wait blocks until the process exits; Start and State go by meanwhile.
  task::WaitRequest wait_req;
  wait_req.set_id(id_);
  auto waited = std::async(std::launch::async,
                           [&] { return call<task::WaitResponse>(*client, kTask, "Wait", wait_req, 30s); });
  std::this_thread::sleep_for(100ms);
  task::StateRequest state_req;
  state_req.set_id(id_);
  auto state = call<task::StateResponse>(*client, kTask, "State", state_req, 10s);
  ASSERT_OK(test::status_of(state));
  EXPECT_EQ(state->pid(), created->pid());
  EXPECT_EQ(waited.wait_for(0s), std::future_status::timeout);

  task::StartRequest start;
  start.set_id(id_);
  auto started = call<task::StartResponse>(*client, kTask, "Start", start, 30s);
  ASSERT_OK(test::status_of(started));
  auto exit_status = waited.get();
  ASSERT_OK(test::status_of(exit_status));
  EXPECT_EQ(exit_status->exit_status(), 3u);
  EXPECT_TRUE(wait_for_topic("/tasks/start").has_value());
  auto exited = wait_for_topic("/tasks/exit");
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(exited->type_url, "containerd.events.TaskExit");
  containerd::events::TaskExit exit_event;
  ASSERT_TRUE(exit_event.ParseFromString(exited->value));
  EXPECT_EQ(exit_event.container_id(), id_);
  EXPECT_EQ(exit_event.exit_status(), 3u);

  task::DeleteRequest del;
  del.set_id(id_);
  auto deleted = call<task::DeleteResponse>(*client, kTask, "Delete", del, 30s);
  ASSERT_OK(test::status_of(deleted));
  created_ = false;
  EXPECT_EQ(deleted->exit_status(), 3u);
  EXPECT_TRUE(wait_for_topic("/tasks/delete").has_value());

  shut_down(*client);
}

}  // namespace
}  // namespace berth::ttrpc
