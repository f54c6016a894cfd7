// The Snapshots service driven by Debian's real `ctr snapshots ...`, on both
// snapshotters, with the mounts ctr prints really mounted.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

class CtrSnapshotsTest : public CtrFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  std::vector<std::string> daemon_args() override { return collect_only_when_asked(); }
  // ctr snapshots --snapshotter NAME args...
  std::string snap(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"snapshots", "--snapshotter", GetParam()};
    full.insert(full.end(), args.begin(), args.end());
    return ok(full);
  }
  CommandResult snap_raw(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"snapshots", "--snapshotter", GetParam()};
    full.insert(full.end(), args.begin(), args.end());
    return daemon_.ctr(full);
  }

  // Runs the `mount ...` lines ctr printed for TARGET (ctr prints shell
  // commands for a target it does not create).
  void mount_printed(const std::string& printed) {
    std::istringstream lines(printed);
    std::string line;
    int mounted = 0;
    while (std::getline(lines, line)) {
      if (!line.starts_with("mount ")) continue;
      auto r = run({"/bin/sh", "-c", line});
      ASSERT_EQ(r.exit_code, 0) << line << "\n" << r.output;
      ++mounted;
    }
    ASSERT_GT(mounted, 0) << printed;
  }
};

TEST_P(CtrSnapshotsTest, PrepareMountCommitViewListTreeUsageRemove) {
  // Listed as containerd lists it: with the host's platform.
  const std::string plugins = ok({"plugins", "ls"});
  ASSERT_TRUE(std::regex_search(
      plugins, std::regex("io.containerd.snapshotter.v1 +" + GetParam() + " +linux/\\S+ +ok")))
      << plugins;

  TempDir mnt;
  const std::string target = mnt.path().string();

  // A base layer, written through its mounts.
  snap({"prepare", "base-active"});
  mount_printed(snap({"mounts", target, "base-active"}));
  std::ofstream(mnt.path() / "hello") << "from base\n";
  std::filesystem::create_directory(mnt.path() / "dir");
  std::ofstream(mnt.path() / "dir" / "gone") << "deleted in the child\n";
  ASSERT_EQ(::umount2(target.c_str(), 0), 0);
  snap({"commit", "base", "base-active"});

  // A child that changes a file and deletes another.
  snap({"prepare", "child-active", "base"});
  mount_printed(snap({"mounts", target, "child-active"}));
  EXPECT_TRUE(std::filesystem::exists(mnt.path() / "hello"));
  std::ofstream(mnt.path() / "hello") << "from child\n";
  std::filesystem::remove(mnt.path() / "dir" / "gone");
  ASSERT_EQ(::umount2(target.c_str(), 0), 0);
  snap({"commit", "child", "child-active"});

  // A view of the child is read-only and shows both layers.
  snap({"view", "child-view", "child"});
  mount_printed(snap({"mounts", target, "child-view"}));
  {
    std::ifstream in(mnt.path() / "hello");  // closed before the unmount below
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "from child\n");
  }
  EXPECT_FALSE(std::filesystem::exists(mnt.path() / "dir" / "gone"));
  EXPECT_FALSE(std::ofstream(mnt.path() / "new").good()) << "a view must be read-only";
  ASSERT_EQ(::umount2(target.c_str(), 0), 0);

  const std::string ls = snap({"ls"});
  // Rows start at a line start: "base" with no parent, then its kind (the
  // child's row also holds "base  Committed", so an unanchored match would
  // pass without base's own row).
  EXPECT_TRUE(std::regex_search(ls, std::regex("(^|\n)base +Committed"))) << ls;
  EXPECT_TRUE(std::regex_search(ls, std::regex("child\\s+base\\s+Committed"))) << ls;
  EXPECT_TRUE(std::regex_search(ls, std::regex("child-view\\s+child\\s+View"))) << ls;

  const std::string tree = snap({"tree"});
  EXPECT_NE(tree.find("base"), std::string::npos) << tree;
  EXPECT_NE(tree.find("\\_ child"), std::string::npos) << tree;

  const std::string usage = snap({"usage"});
  EXPECT_NE(usage.find("base"), std::string::npos) << usage;
  const std::string one = snap({"usage", "child"});
  EXPECT_NE(one.find("child"), std::string::npos) << one;

  const std::string info = snap({"info", "child"});
  EXPECT_NE(info.find("\"Parent\": \"base\""), std::string::npos) << info;

  // A snapshot with children cannot go; leaves first, then it can.
  auto refused = snap_raw({"rm", "base"});
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  snap({"rm", "child-view"});
  snap({"rm", "child", "base"});
  EXPECT_EQ(snap({"ls"}).find("base"), std::string::npos);
  // The disk space comes back once the garbage collector has run the
  // backend's cleanup (overlayfs leaves removed directories to it, as in
  // containerd): no snapshot directory is left behind.
  berth_ok({"gc"});
  const auto dirs = daemon_.root() / ("io.containerd.snapshotter.v1." + GetParam()) / "snapshots";
  ASSERT_TRUE(std::filesystem::exists(dirs));
  for (const auto& entry : std::filesystem::directory_iterator(dirs))
    ADD_FAILURE() << "left behind: " << entry.path();
}

TEST_P(CtrSnapshotsTest, ErrorsHaveContainerdsCodes) {
  snap({"prepare", "a"});
  auto again = snap_raw({"prepare", "a"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;
  auto no_parent = snap_raw({"prepare", "b", "missing"});
  EXPECT_NE(no_parent.exit_code, 0);
  EXPECT_NE(no_parent.output.find("not found"), std::string::npos) << no_parent.output;
  auto active_parent = snap_raw({"prepare", "c", "a"});
  EXPECT_NE(active_parent.exit_code, 0) << active_parent.output;
  auto missing = snap_raw({"rm", "nothing"});
  EXPECT_NE(missing.exit_code, 0);
}

TEST_P(CtrSnapshotsTest, NamespacesAreIsolatedAndRestartKeepsEverything) {
  snap({"prepare", "mine"});
  EXPECT_EQ(ok({"-n", "other", "snapshots", "--snapshotter", GetParam(), "ls"}).find("mine"),
            std::string::npos);
  // The same key in another namespace is another snapshot.
  ok({"-n", "other", "snapshots", "--snapshotter", GetParam(), "prepare", "mine"});
  restart(SIGKILL);
  EXPECT_NE(snap({"ls"}).find("mine"), std::string::npos);
  ok({"-n", "other", "snapshots", "--snapshotter", GetParam(), "rm", "mine"});
  EXPECT_NE(snap({"ls"}).find("mine"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Snapshotters, CtrSnapshotsTest, ::testing::Values("overlayfs", "native"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::test
