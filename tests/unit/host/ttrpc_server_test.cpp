// The daemon's ttrpc server: which plugins it asks, what their handlers see,
// its socket (where, what mode, stale or live, gone at shutdown) and none at
// all when no plugin serves ttrpc.
#include "ttrpc_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "berth/unique_fd.hpp"
#include "daemon.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "ttrpc/client.hpp"

namespace berth::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const fs::path kFixtures = BERTH_FIXTURE_DIR;

// Answers "test.Echo/Say" with what it was called with.
class Echo final : public Instance, public TtrpcService {
 public:
  void register_ttrpc(TtrpcRegistry& registry) override {
    registry.handle("test.Echo", "Say", [](const TtrpcCall& call) -> Result<std::string> {
      if (call.payload == "fail") return invalid_argument("told to fail");
      std::string out = call.payload;
      for (const auto& [k, v] : call.metadata) out.append(" ").append(k).append("=").append(v);
      if (call.deadline) out += " deadline";
      return out;
    });
  }
};
class Silent final : public Instance, public TtrpcService {
 public:
  void register_ttrpc(TtrpcRegistry&) override {}
};
class Backend final : public Instance {};

TEST(TtrpcServices, ComeFromPluginsOfTheGrpcTypeAndOthersOfferingThemAreNamed) {
  Registry registry;
  auto add = [&](const std::string& type, const std::string& id, std::shared_ptr<Instance> instance) {
    registry.set_ok(registry.add(PluginInfo{.type = type, .id = id}), std::move(instance));
  };
  auto served = std::make_shared<Echo>();
  add("io.containerd.grpc.v1", "echo", served);
  add("io.containerd.event.v1", "chatty", std::make_shared<Echo>());
  add("io.containerd.grpc.v1", "plain", std::make_shared<Backend>());

  Warnings warnings;
  const auto services = ttrpc_services(registry, warnings);
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0], served.get());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "plugin io.containerd.event.v1.chatty offers ttrpc services but its type is "
            "io.containerd.event.v1, not io.containerd.grpc.v1: its services are not registered");
}

TEST(TtrpcSocketPath, IsTheGrpcSocketPlusTtrpc) {
  EXPECT_EQ(ttrpc_socket_path(GrpcConfig{.address = "/run/berth/berth.sock"}), "/run/berth/berth.sock.ttrpc");
  EXPECT_EQ(ttrpc_socket_path(GrpcConfig{.address = "unix:///run/b.sock"}), "/run/b.sock.ttrpc");
}

class TtrpcServerTest : public ::testing::Test {
 protected:
  std::string path() const { return (tmp_ / "s.ttrpc").string(); }
  test::TempDir tmp_;
  Echo echo_;
};

TEST_F(TtrpcServerTest, ServesWhatServicesRegister) {
  auto server = TtrpcServer::start(path(), {&echo_});
  ASSERT_OK(test::status_of(server));
  ASSERT_NE(*server, nullptr);
  struct stat st {};
  ASSERT_EQ(::lstat(path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  auto client = ttrpc::Client::dial(path());
  ASSERT_OK(test::status_of(client));
  auto said = (*client)->call("test.Echo", "Say", "hi", 5s, {{"containerd-namespace-ttrpc", "ns1"}});
  ASSERT_OK(test::status_of(said));
  EXPECT_EQ(*said, "hi containerd-namespace-ttrpc=ns1 deadline");
  EXPECT_EQ(*(*client)->call("test.Echo", "Say", "no deadline"), "no deadline");
  auto failed = (*client)->call("test.Echo", "Say", "fail", 5s);
  EXPECT_CODE(failed, Code::kInvalidArgument);
  EXPECT_EQ(failed.status().message(), "told to fail");
  EXPECT_CODE((*client)->call("test.Echo", "Shout", "", 5s), Code::kUnimplemented);

  (*server)->shutdown();
  EXPECT_FALSE(fs::exists(path()));
  (*server)->shutdown();  // idempotent
}

TEST_F(TtrpcServerTest, ListensNowhereWhenNoServiceRegistersAMethod) {
  Silent silent;
  auto none = TtrpcServer::start(path(), {});
  ASSERT_OK(test::status_of(none));
  EXPECT_EQ(*none, nullptr);
  auto empty = TtrpcServer::start(path(), {&silent});
  ASSERT_OK(test::status_of(empty));
  EXPECT_EQ(*empty, nullptr);
  EXPECT_FALSE(fs::exists(path()));
}

TEST_F(TtrpcServerTest, ReplacesAStaleSocketButNotALiveOne) {
  {
    // Bound, then closed: a socket file nobody listens on.
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path().c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  auto first = TtrpcServer::start(path(), {&echo_});
  ASSERT_OK(test::status_of(first));

  auto second = TtrpcServer::start(path(), {&echo_});
  EXPECT_CODE(second, Code::kFailedPrecondition);
  // The refused server left the live one's socket alone.
  auto client = ttrpc::Client::dial(path());
  ASSERT_OK(test::status_of(client));
  EXPECT_OK(test::status_of((*client)->call("test.Echo", "Say", "still here", 5s)));
}

TEST_F(TtrpcServerTest, DaemonWithoutTtrpcPluginsDoesNotListen) {
  DaemonConfig config;
  config.root = (tmp_ / "root").string();
  config.state = (tmp_ / "state").string();
  config.grpc.address = (tmp_ / "berth.sock").string();
  Daemon daemon(config, kFixtures);
  ASSERT_OK(daemon.start());
  EXPECT_TRUE(fs::exists(tmp_ / "berth.sock"));
  EXPECT_FALSE(fs::exists(tmp_ / "berth.sock.ttrpc"));
  EXPECT_OK(daemon.shutdown());
}

}  // namespace
}  // namespace berth::host
