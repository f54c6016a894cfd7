// Debian's ctr pulling from and pushing to a registry through berthd: ctr
// speaks to the registry itself and drives berthd's content, leases, images,
// snapshots and diff services (CTR-RPCS.md). The registry is Debian's
// docker-registry on a free loopback port; the image is pushed into it with
// skopeo from the OCI archive tests/support/make_oci_image.sh makes.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "ctr_fixture.hpp"
#include "loopback_registry.hpp"

namespace berth::test {
namespace {

class CtrRegistryTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    registry_ = std::make_unique<LoopbackRegistry>(dir_.path() / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->why();
    host_ = registry_->host();
    const auto archive = dir_.path() / "image.tar";
    manifest_ = make_test_image(archive, "berth-test:1.0");
    ASSERT_FALSE(manifest_.empty());
    const std::string pushed = registry_->push_archive(archive, "berth-test:1.0");
    ASSERT_EQ(pushed, "") << pushed;
  }

  std::string host_;
  std::string manifest_;
  std::unique_ptr<LoopbackRegistry> registry_;  // killed and reaped with the fixture
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
