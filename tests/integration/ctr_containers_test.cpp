// Debian's ctr driving berthd's Containers API: `ctr containers create`
// (ctr builds the OCI spec from the image and prepares the container's
// snapshot itself, as CTR-RPCS.md traces it), ls, info, label and rm, and
// the records surviving a kill -9 (their events: ctr_events_test.cpp).
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <string>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

constexpr const char* kImage = "docker.io/library/berth-test:1.0";

class CtrContainersTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    ASSERT_FALSE(import_test_image(dir_.path() / "image.tar", kImage).empty());
  }
};

TEST_F(CtrContainersTest, CreateListInfoLabelRemove) {
  ok({"containers", "create", "--label", "team=infra", kImage, "c1", "/bin/echo", "echo hi"});
  EXPECT_TRUE(std::regex_search(ok({"containers", "ls"}),
                                std::regex(std::string("c1 +") + kImage + " +io.containerd.runc.v2")));
  // The snapshot ctr prepared is the container's, keyed by its id.
  EXPECT_TRUE(std::regex_search(ok({"snapshots", "ls"}), std::regex("\nc1 +sha256:[0-9a-f]{64} +Active")));

  const std::string info = ok({"containers", "info", "c1"});
  EXPECT_NE(info.find("\"SnapshotKey\": \"c1\""), std::string::npos) << info;
  EXPECT_NE(info.find("\"Snapshotter\": \"overlayfs\""), std::string::npos) << info;
  EXPECT_NE(info.find("\"team\": \"infra\""), std::string::npos) << info;
  // The spec is ctr's own, kept byte for byte: ctr decodes it back.
  EXPECT_NE(info.find("\"echo hi\""), std::string::npos) << info;
  EXPECT_NE(info.find("\"ociVersion\""), std::string::npos) << info;

  auto again = daemon_.ctr({"containers", "create", kImage, "c1"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;

  // label prints the labels it leaves; an empty value removes one.
  const std::string labels = ok({"containers", "label", "c1", "color=blue", "team="});
  EXPECT_NE(labels.find("color=blue"), std::string::npos) << labels;
  EXPECT_EQ(labels.find("team"), std::string::npos) << labels;
  EXPECT_FALSE(std::regex_search(ok({"containers", "info", "c1"}), std::regex(R"("Labels": \{[^}]*"team")")));
  // No labels at all is an Update without a mask and without a snapshotter:
  // refused, in containerd's words (containerd 1.6 answers the same).
  auto bare = daemon_.ctr({"containers", "label", "c1"});
  EXPECT_NE(bare.exit_code, 0);
  EXPECT_NE(bare.output.find("container.Snapshotter field is immutable"), std::string::npos) << bare.output;

  // Records are committed: they survive a kill -9.
  restart(SIGKILL);
  EXPECT_NE(ok({"containers", "ls", "-q"}).find("c1"), std::string::npos);

  ok({"containers", "rm", "c1"});
  EXPECT_EQ(ok({"containers", "ls", "-q"}), "");
  EXPECT_FALSE(std::regex_search(ok({"snapshots", "ls"}), std::regex("\nc1 ")))
      << "rm removes the container's snapshot too";
  auto missing = daemon_.ctr({"containers", "info", "c1"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("not found"), std::string::npos) << missing.output;
}

TEST_F(CtrContainersTest, ContainersOfOneNamespaceAreNotAnothers) {
  ok({"-n", "one", "images", "import", (dir_.path() / "image.tar").string()});
  ok({"-n", "one", "containers", "create", kImage, "c1"});
  EXPECT_EQ(ok({"-n", "one", "containers", "ls", "-q"}), "c1\n");
  EXPECT_EQ(ok({"containers", "ls", "-q"}), "");
  ok({"containers", "create", kImage, "c1"});  // the same id elsewhere is another container
  EXPECT_EQ(ok({"containers", "ls", "-q"}), "c1\n");
}

}  // namespace
}  // namespace berth::test
