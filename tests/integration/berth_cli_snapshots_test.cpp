// `berth snapshots ...` against the real berthd on both snapshotters, checked
// with Debian's ctr where the two must agree.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

class BerthCliSnapshotsTest : public CtrFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  std::vector<std::string> daemon_args() override { return collect_only_when_asked(); }
  CommandResult berth(const std::vector<std::string>& args) {
    std::vector<std::string> argv{BERTH_CLI_PATH, "--address", daemon_.address()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.begin() + 5, {"--snapshotter", GetParam()});  // after "snapshots <verb>"
    return run(argv);
  }
  std::string berth_ok(const std::vector<std::string>& args) {
    auto r = berth(args);
    EXPECT_EQ(r.exit_code, 0) << "berth " << args[0] << " " << args[1] << " failed:\n"
                              << r.output << "\nberthd log:\n"
                              << daemon_.log();
    return r.output;
  }
  std::string ctr_ls() { return ok({"snapshots", "--snapshotter", GetParam(), "ls"}); }
};

TEST_P(BerthCliSnapshotsTest, LifecycleAgreesWithCtr) {
  EXPECT_EQ(berth_ok({"snapshots", "prepare", "base-active", "--label", "team=infra"}), "base-active\n");
  TempDir mnt;
  const std::string mounts = berth_ok({"snapshots", "mounts", mnt.path().string(), "base-active"});
  ASSERT_TRUE(mounts.starts_with("mount -t ")) << mounts;
  auto mounted = run({"/bin/sh", "-c", mounts});
  ASSERT_EQ(mounted.exit_code, 0) << mounted.output;
  std::ofstream(mnt.path() / "file") << std::string(10'000, 'x');
  ASSERT_EQ(::umount2(mnt.path().c_str(), 0), 0);

  EXPECT_EQ(berth_ok({"snapshots", "commit", "base", "base-active"}), "base\n");
  berth_ok({"snapshots", "view", "top", "base"});
  EXPECT_TRUE(std::regex_search(ctr_ls(), std::regex("top\\s+base\\s+View"))) << ctr_ls();

  const std::string ls = berth_ok({"snapshots", "ls"});
  EXPECT_TRUE(std::regex_search(ls, std::regex("KEY\\s+PARENT\\s+KIND"))) << ls;
  EXPECT_TRUE(std::regex_search(ls, std::regex("top\\s+base\\s+View"))) << ls;
  EXPECT_EQ(berth_ok({"snapshots", "ls", "-q", "kind==committed"}), "base\n");

  const std::string tree = berth_ok({"snapshots", "tree"});
  EXPECT_EQ(tree, "base\n  \\_ top\n");

  const std::string usage = berth_ok({"snapshots", "usage", "base"});
  EXPECT_TRUE(std::regex_search(usage, std::regex("base\\s+[0-9.]+ KiB\\s+[0-9]+"))) << usage;

  berth_ok({"snapshots", "label", "top", "stage=ci"});
  auto info = nlohmann::json::parse(berth_ok({"snapshots", "info", "top"}));
  EXPECT_EQ(info["parent"], "base");
  EXPECT_EQ(info["kind"], "View");
  EXPECT_EQ(info["labels"]["stage"], "ci");
  // ctr sees the label berth set.
  EXPECT_NE(ok({"snapshots", "--snapshotter", GetParam(), "info", "top"}).find("stage"), std::string::npos);

  auto refused = berth({"snapshots", "rm", "base"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("FailedPrecondition"), std::string::npos) << refused.output;
  EXPECT_EQ(berth_ok({"snapshots", "rm", "top", "base"}), "top\nbase\n");
  EXPECT_EQ(berth_ok({"snapshots", "ls", "-q"}), "");
}

TEST_P(BerthCliSnapshotsTest, ErrorsAndUsage) {
  auto missing = berth({"snapshots", "commit", "x", "nothing"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("NotFound"), std::string::npos) << missing.output;
  auto usage = berth({"snapshots", "commit", "only-one"});
  EXPECT_EQ(usage.exit_code, 2) << usage.output;
  auto bad_label = berth({"snapshots", "prepare", "k", "--label", "=v"});
  EXPECT_EQ(bad_label.exit_code, 2) << bad_label.output;
  auto unknown =
      run({BERTH_CLI_PATH, "--address", daemon_.address(), "snapshots", "ls", "--snapshotter", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("nope"), std::string::npos) << unknown.output;
}

INSTANTIATE_TEST_SUITE_P(Snapshotters, BerthCliSnapshotsTest, ::testing::Values("overlayfs", "native"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::test
