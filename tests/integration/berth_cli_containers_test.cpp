// berth containers ls|info|label|rm against berthd, on containers Debian's
// ctr created (ctr builds the spec and prepares the snapshot).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

constexpr const char* kImage = "docker.io/library/berth-test:1.0";

class BerthCliContainersTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    ASSERT_FALSE(import_test_image(dir_.path() / "image.tar", kImage).empty());
    ok({"containers", "create", "--label", "team=infra", kImage, "c1", "/bin/echo", "hi"});
    ok({"containers", "create", kImage, "c2"});
  }
};

TEST_F(BerthCliContainersTest, ListInfoLabelRemove) {
  EXPECT_TRUE(std::regex_search(berth_ok({"containers", "ls"}),
                                std::regex(std::string("c1 +") + kImage + " +io.containerd.runc.v2")));
  EXPECT_EQ(berth_ok({"c", "ls", "-q"}), "c1\nc2\n");
  EXPECT_EQ(berth_ok({"c", "ls", "-q", "labels.team==infra"}), "c1\n");

  // info: ctr's spec decoded from its JSON bytes.
  const auto info = nlohmann::json::parse(berth_ok({"containers", "info", "c1"}));
  EXPECT_EQ(info["snapshot_key"], "c1");
  EXPECT_EQ(info["snapshotter"], "overlayfs");
  EXPECT_EQ(info["spec"]["process"]["args"], (nlohmann::json{"/bin/echo", "hi"}));
  const auto listed = nlohmann::json::parse(berth_ok({"--format", "json", "containers", "ls"}));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1]["id"], "c2");

  EXPECT_NE(berth_ok({"containers", "label", "c1", "color=blue", "team="}).find("color=blue"),
            std::string::npos);
  const auto relabelled = nlohmann::json::parse(berth_ok({"containers", "info", "c1"}));
  EXPECT_EQ(relabelled["labels"]["color"], "blue");
  EXPECT_FALSE(relabelled["labels"].contains("team"));

  // rm takes the snapshot too; a missing one is reported and fails the command.
  auto removed = berth({"containers", "rm", "c1", "nope"});
  EXPECT_EQ(removed.exit_code, 1) << removed.output;
  EXPECT_NE(removed.output.find("container \"nope\" in namespace \"default\": not found"), std::string::npos)
      << removed.output;
  EXPECT_EQ(berth_ok({"c", "ls", "-q"}), "c2\n");
  EXPECT_FALSE(std::regex_search(ok({"snapshots", "ls"}), std::regex("\nc1 ")));
  EXPECT_TRUE(std::regex_search(ok({"snapshots", "ls"}), std::regex("\nc2 ")));
}

}  // namespace
}  // namespace berth::test
