// Debian's ctr driving berthd's Images API together with content, leases,
// snapshots and the differ: `ctr images import` of an OCI archive the test
// makes (a busybox-static rootfs), then ls, check, tag, label, export, mount,
// unmount and rm, as CTR-RPCS.md traces them against containerd.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <regex>
#include <string>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

constexpr const char* kName = "docker.io/library/berth-test:1.0";
constexpr const char* kTag = "docker.io/library/berth-test:2.0";

class CtrImagesTest : public CtrFixture {
 protected:
  void SetUp() override {
    CtrFixture::SetUp();
    archive_ = dir_.path() / "image.tar";
    auto made = run({"bash", BERTH_MAKE_OCI_IMAGE, archive_.string(), kName});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    manifest_ = made.output.substr(0, made.output.find('\n'));
    ASSERT_TRUE(manifest_.starts_with("sha256:")) << made.output;
  }

  std::filesystem::path archive_;
  std::string manifest_;  // the manifest's digest
};

TEST_F(CtrImagesTest, ImportListCheckTagLabelExportMountRemove) {
  EXPECT_NE(ok({"images", "import", archive_.string()}).find("unpacking " + std::string(kName)),
            std::string::npos);

  // ls reads the manifest and config back from the content store.
  const std::string ls = ok({"images", "ls"});
  EXPECT_TRUE(std::regex_search(
      ls, std::regex(std::string(kName) + " +application/vnd.oci.image.manifest.v1\\+json +" + manifest_ +
                     " .* linux/amd64")))
      << ls;
  // check: every blob present, and unpacked into the default snapshotter.
  const std::string check = ok({"images", "check"});
  EXPECT_TRUE(std::regex_search(check, std::regex("complete \\(2/2\\) .* true"))) << check;
  EXPECT_TRUE(std::regex_search(ok({"snapshots", "ls"}), std::regex("sha256:[0-9a-f]{64} +Committed")));

  ok({"images", "tag", kName, kTag});
  auto again = daemon_.ctr({"images", "tag", kName, kTag});
  EXPECT_NE(again.exit_code, 0) << "a tag that exists is refused";
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;
  ok({"images", "label", kTag, "color=blue"});
  EXPECT_TRUE(std::regex_search(ok({"images", "ls"}), std::regex(std::string(kTag) + " .* color=blue")));
  EXPECT_EQ(ok({"images", "ls", "-q", "labels.color==blue"}), std::string(kTag) + "\n");

  // export writes an archive holding the manifest.
  const auto exported = dir_.path() / "out.tar";
  ok({"images", "export", exported.string(), kTag});
  auto listed = run({"tar", "-tf", exported.string()});
  EXPECT_NE(listed.output.find("blobs/sha256/" + manifest_.substr(7)), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("index.json"), std::string::npos) << listed.output;

  // mount: a view of the unpacked image, under a lease named for the target.
  const auto target = dir_.path() / "mnt";
  std::filesystem::create_directories(target);
  ok({"images", "mount", kName, target.string()});
  EXPECT_TRUE(std::filesystem::exists(target / "bin/busybox"));
  ok({"images", "unmount", "--rm", target.string()});
  EXPECT_FALSE(std::filesystem::exists(target / "bin/busybox"));

  ok({"images", "rm", kTag});
  EXPECT_EQ(ok({"images", "ls", "-q"}), std::string(kName) + "\n");

  // Image records are committed: they survive a kill -9.
  restart(SIGKILL);
  EXPECT_EQ(ok({"images", "ls", "-q"}), std::string(kName) + "\n");
}

TEST_F(CtrImagesTest, NamespacesAreIsolated) {
  ok({"-n", "one", "images", "import", archive_.string()});
  EXPECT_EQ(ok({"-n", "one", "images", "ls", "-q"}), std::string(kName) + "\n");
  EXPECT_EQ(ok({"-n", "two", "images", "ls", "-q"}), "");
  EXPECT_EQ(ok({"images", "ls", "-q"}), "");
}

}  // namespace
}  // namespace berth::test
