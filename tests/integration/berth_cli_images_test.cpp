// `berth images ...` against the real berthd, on an image imported with
// Debian's ctr, checked with ctr where the two must agree.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

constexpr const char* kName = "docker.io/library/berth-test:1.0";

class BerthCliImagesTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    const auto archive = dir_.path() / "image.tar";
    auto made = run({"bash", BERTH_MAKE_OCI_IMAGE, archive.string(), kName});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    manifest_ = made.output.substr(0, made.output.find('\n'));
    ok({"images", "import", "--no-unpack", archive.string()});
  }
  std::string manifest_;
};

TEST_F(BerthCliImagesTest, ListTagLabelRemoveAgreeWithCtr) {
  const std::string table = berth_ok({"images", "ls"});
  EXPECT_TRUE(std::regex_search(table, std::regex("^REF +TYPE +DIGEST +UPDATED +LABELS\n"))) << table;
  EXPECT_TRUE(std::regex_search(
      table, std::regex(std::string(kName) + " +application/vnd.oci.image.manifest.v1\\+json +" + manifest_)))
      << table;

  EXPECT_EQ(berth_ok({"images", "tag", kName, "b:1", "c:1"}), "b:1\nc:1\n");
  auto taken = berth({"images", "tag", kName, "b:1"});
  EXPECT_EQ(taken.exit_code, 1) << taken.output;
  EXPECT_NE(taken.output.find("AlreadyExists"), std::string::npos) << taken.output;
  EXPECT_EQ(berth_ok({"images", "tag", "--force", kName, "b:1"}), "b:1\n");
  EXPECT_EQ(ok({"images", "ls", "-q"}), "b:1\nc:1\n" + std::string(kName) + "\n");

  EXPECT_EQ(berth_ok({"images", "label", "b:1", "team=infra", "keep"}), "keep=true,team=infra\n");
  EXPECT_EQ(berth_ok({"images", "ls", "-q", "labels.team==infra"}), "b:1\n");
  const std::string json = berth_ok({"--format", "json", "images", "ls", "name==b:1"});
  EXPECT_NE(json.find("\"digest\": \"" + manifest_ + "\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"team\": \"infra\""), std::string::npos) << json;

  EXPECT_EQ(berth_ok({"images", "rm", "b:1", "c:1"}), "b:1\nc:1\n");
  auto missing = berth({"images", "rm", "nope:1"});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("NotFound"), std::string::npos) << missing.output;
  EXPECT_EQ(ok({"images", "ls", "-q"}), std::string(kName) + "\n");
}

// check agrees with ctr: every blob present, unpacked only once unpacked.
TEST_F(BerthCliImagesTest, CheckSeesBlobsAndTheUnpackedSnapshot) {
  std::string check = berth_ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex(std::string(kName) + " .*" + manifest_ +
                                                  " +complete \\(2/2\\) +[0-9.]+ KiB/[0-9.]+ KiB +false")))
      << check;
  ok({"images", "import", (dir_.path() / "image.tar").string()});  // this time unpacked
  check = berth_ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex("complete \\(2/2\\) .* true"))) << check;
  EXPECT_NE(ok({"images", "check"}).find("true"), std::string::npos) << "ctr agrees";
  const std::string json = berth_ok({"--format", "json", "images", "check"});
  EXPECT_NE(json.find("\"unpacked\": true"), std::string::npos) << json;
  // Another snapshotter has not unpacked it.
  EXPECT_NE(berth_ok({"images", "check", "--snapshotter", "native"}).find("false"), std::string::npos);
}

}  // namespace
}  // namespace berth::test
