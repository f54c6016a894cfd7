// Debian's ctr pulling from and pushing to a registry through berthd: ctr
// speaks to the registry itself and drives berthd's content, leases, images,
// snapshots and diff services (CTR-RPCS.md). The registry is Debian's
// docker-registry on a free loopback port; the image is pushed into it with
// skopeo from the OCI archive tests/support/make_oci_image.sh makes.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

// A loopback port nobody listens on now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

class CtrRegistryTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    const int port = free_port();
    ASSERT_GT(port, 0);
    host_ = "127.0.0.1:" + std::to_string(port);
    const auto config = dir_.path() / "registry.yml";
    std::ofstream(config) << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
                          << (dir_.path() / "registry").string() << "\nhttp:\n  addr: " << host_ << "\n";
    // Its log (a line for every 404 a client's existence check gets) goes to
    // a file, not into the test's output.
    const std::string log = (dir_.path() / "registry.log").string();
    registry_ = std::make_unique<ChildProcess>(
        "/bin/bash", std::vector<std::string>{"-c", "exec /usr/bin/docker-registry serve \"$0\" 2>>\"$1\"",
                                              config.string(), log});
    ASSERT_TRUE(registry_->started());
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
      up = run({"curl", "-sf", "http://" + host_ + "/v2/"}).exit_code == 0;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(up) << "docker-registry did not answer on " << host_;

    const auto archive = dir_.path() / "image.tar";
    auto made = run({"bash", BERTH_MAKE_OCI_IMAGE, archive.string(), "berth-test:1.0"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    manifest_ = made.output.substr(0, made.output.find('\n'));
    auto pushed = run({"skopeo", "copy", "--dest-tls-verify=false", "oci-archive:" + archive.string(),
                       "docker://" + host_ + "/berth-test:1.0"});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.output;
  }

  std::string host_;
  std::string manifest_;
  std::unique_ptr<ChildProcess> registry_;  // killed and reaped with the fixture
};

TEST_F(CtrRegistryTest, PullUnpacksAndPushWritesTheSameManifest) {
  const std::string ref = host_ + "/berth-test:1.0";
  ok({"images", "pull", "--plain-http", ref});
  const std::string check = ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex(std::regex_replace(ref, std::regex("\\."), "\\.") + " .*" +
                                                  manifest_ + " +complete \\(2/2\\) .* true")))
      << check;
  // The blobs carry the labels ctr sets during a pull (the source's host
  // without its port, as containerd writes it).
  const std::string content = ok({"content", "ls"});
  EXPECT_NE(content.find("containerd.io/distribution.source.127.0.0.1=berth-test"), std::string::npos)
      << content;
  EXPECT_NE(content.find("containerd.io/gc.ref.content.config="), std::string::npos) << content;
  // A second pull finds everything present.
  ok({"images", "pull", "--plain-http", ref});

  const std::string copy = host_ + "/pushed:2.0";
  ok({"images", "tag", ref, copy});
  ok({"images", "push", "--plain-http", copy});
  auto inspected = run({"skopeo", "inspect", "--tls-verify=false", "docker://" + copy});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.output;
  EXPECT_NE(inspected.output.find("\"Digest\": \"" + manifest_ + "\""), std::string::npos)
      << inspected.output;
}

}  // namespace
}  // namespace berth::test
