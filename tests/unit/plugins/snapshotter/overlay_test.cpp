// What only the overlay snapshotter does: containerd's mount shapes, its
// options, whiteouts, and skipping where overlayfs does not work.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <string>
#include <vector>

#include "overlay_check.hpp"
#include "snapshotter_fixture.hpp"

namespace berth::snapshot::test {
namespace {

constexpr std::string_view kUpperdirLabel = "containerd.io/snapshot/overlay.upperdir";

class OverlaySnapshotter : public SnapshotterTest<Overlay> {
 protected:
  [[nodiscard]] std::filesystem::path snapshots() const { return root_ / "snapshots"; }
  std::vector<std::string> lowerdirs(const Mount& m) {
    std::vector<std::string> out;
    const std::string v = mount_option(m.options, "lowerdir");
    for (std::size_t pos = 0; pos <= v.size();) {
      auto next = v.find(':', pos);
      if (next == std::string::npos) next = v.size();
      out.push_back(v.substr(pos, next - pos));
      pos = next + 1;
    }
    return out;
  }
};

TEST_F(OverlaySnapshotter, DefaultConfigIsContainerds) {
  EXPECT_STREQ(plugin().default_config, "upperdir_label = false\nsync_remove = false\nmount_options = []\n");
}

TEST_F(OverlaySnapshotter, MountShapesFollowContainerd) {
  auto base = sn().prepare("a", "", {});
  ASSERT_OK(base.status());
  ASSERT_EQ(base->size(), 1u);
  const Mount& b = (*base)[0];
  EXPECT_EQ(b.type, "bind");
  EXPECT_EQ(b.options, (std::vector<std::string>{"rbind", "rw"}));
  const std::filesystem::path base_fs = b.source;
  EXPECT_EQ(base_fs.filename(), "fs");
  EXPECT_EQ(base_fs.parent_path().parent_path(), snapshots());
  ASSERT_OK(sn().commit("l1", "a", {}));

  // A view of one layer: that layer's fs, read-only.
  auto v1 = sn().view("v1", "l1", {});
  ASSERT_OK(v1.status());
  EXPECT_EQ((*v1)[0].type, "bind");
  EXPECT_EQ((*v1)[0].source, base_fs.string());
  EXPECT_EQ((*v1)[0].options, (std::vector<std::string>{"rbind", "ro"}));

  // Active on a layer: upper, work and the lower.
  auto act = sn().prepare("b", "l1", {});
  ASSERT_OK(act.status());
  ASSERT_EQ(act->size(), 1u);
  const Mount& o = (*act)[0];
  EXPECT_EQ(o.type, "overlay");
  EXPECT_EQ(o.source, "overlay");
  const std::filesystem::path upper = mount_option(o.options, "upperdir");
  EXPECT_EQ(upper.filename(), "fs");
  EXPECT_EQ(mount_option(o.options, "workdir"), (upper.parent_path() / "work").string());
  EXPECT_EQ(lowerdirs(o), (std::vector<std::string>{base_fs.string()}));
  ASSERT_OK(sn().commit("l2", "b", {}));

  // A view of two layers: an overlay of lowerdirs only, nearest first.
  auto v2 = sn().view("v2", "l2", {});
  ASSERT_OK(v2.status());
  const Mount& ov = (*v2)[0];
  EXPECT_EQ(ov.type, "overlay");
  EXPECT_EQ(mount_option(ov.options, "upperdir"), "");
  EXPECT_EQ(mount_option(ov.options, "workdir"), "");
  EXPECT_EQ(lowerdirs(ov), (std::vector<std::string>{upper.string(), base_fs.string()}));

  // A view without a parent: its own empty fs, read-only.
  auto v0 = sn().view("v0", "", {});
  ASSERT_OK(v0.status());
  EXPECT_EQ((*v0)[0].type, "bind");
  EXPECT_EQ((*v0)[0].options, (std::vector<std::string>{"rbind", "ro"}));
}

TEST_F(OverlaySnapshotter, WhiteoutDeviceInUpperHidesTheLowerFile) {
  ASSERT_OK(layer("l1", "", {{"keep", "k"}, {"gone", "g"}, {"dir/x", "x"}}));
  auto act = sn().prepare("b", "l1", {});
  ASSERT_OK(act.status());
  const std::filesystem::path upper = mount_option((*act)[0].options, "upperdir");
  ASSERT_EQ(::mknod((upper / "gone").c_str(), S_IFCHR, ::makedev(0, 0)), 0);
  {
    auto m = mount(*act);
    ASSERT_OK(m.status());
    EXPECT_FALSE(std::filesystem::exists(m->path() / "gone"));
    EXPECT_EQ(read_file(m->path() / "keep"), "k");
    // The kernel writes the same kind of whiteout for a deletion.
    ASSERT_TRUE(std::filesystem::remove(m->path() / "dir/x"));
  }
  struct stat st {};
  ASSERT_EQ(::lstat((upper / "dir/x").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, ::makedev(0, 0));
  ASSERT_OK(sn().commit("l2", "b", {}));
  auto v = sn().view("v", "l2", {});
  ASSERT_OK(v.status());
  auto m = mount(*v);
  ASSERT_OK(m.status());
  EXPECT_FALSE(std::filesystem::exists(m->path() / "gone"));
  EXPECT_FALSE(std::filesystem::exists(m->path() / "dir/x"));
  EXPECT_TRUE(std::filesystem::is_directory(m->path() / "dir"));
}

TEST_F(OverlaySnapshotter, UsageIsOnlyTheLayersOwnFiles) {
  ASSERT_OK(layer("l1", "", {{"big", std::string(1 << 20, 'x')}}));
  ASSERT_OK(sn().prepare("b", "l1", {}).status());
  auto u = sn().usage("b");
  ASSERT_OK(u.status());
  EXPECT_EQ(u->inodes, 1);
  EXPECT_LT(u->size, 64 << 10);
  EXPECT_GE(sn().usage("l1")->size, 1 << 20);
}

TEST_F(OverlaySnapshotter, UpperdirLabelOnActiveSnapshots) {
  reopen_with("upperdir_label = true\n");
  auto act = sn().prepare("a", "", {{"x", "1"}});
  ASSERT_OK(act.status());
  auto info = sn().stat("a");
  ASSERT_OK(info.status());
  EXPECT_EQ(info->labels.at(std::string(kUpperdirLabel)), (*act)[0].source);
  EXPECT_EQ(info->labels.at("x"), "1");
  bool seen = false;
  ASSERT_OK(sn().walk({"kind==active"}, [&](const SnapshotInfo& i) {
    seen = i.labels.count(std::string(kUpperdirLabel)) == 1;
    return true;
  }));
  EXPECT_TRUE(seen);
  ASSERT_OK(sn().commit("c", "a", {}));
  EXPECT_EQ(sn().stat("c")->labels.count(std::string(kUpperdirLabel)), 0u);
  // Without the option there is no such label.
  reopen_with("");
  ASSERT_OK(sn().prepare("b", "c", {}).status());
  EXPECT_EQ(sn().stat("b")->labels.count(std::string(kUpperdirLabel)), 0u);
}

TEST_F(OverlaySnapshotter, SyncRemoveDeletesAtOnceOtherwiseCleanupDoes) {
  auto a = sn().prepare("a", "", {});
  ASSERT_OK(a.status());
  const auto dir_a = std::filesystem::path((*a)[0].source).parent_path();
  ASSERT_OK(sn().remove("a"));
  EXPECT_TRUE(std::filesystem::exists(dir_a));  // deferred
  ASSERT_OK(sn().cleanup());
  EXPECT_FALSE(std::filesystem::exists(dir_a));

  reopen_with("sync_remove = true\n");
  auto b = sn().prepare("b", "", {});
  ASSERT_OK(b.status());
  const auto dir_b = std::filesystem::path((*b)[0].source).parent_path();
  ASSERT_OK(sn().remove("b"));
  EXPECT_FALSE(std::filesystem::exists(dir_b));
}

TEST_F(OverlaySnapshotter, RemoveAllDefersDirectoriesAsRemoveDoesUnlessSyncRemove) {
  const auto dirs_of = [&](const std::vector<std::string>& keys) {
    std::vector<std::filesystem::path> dirs;
    for (const auto& key : keys) {
      auto m = sn().prepare(key, "", {});
      EXPECT_OK(m.status());
      if (m.ok()) dirs.push_back(std::filesystem::path((*m)[0].source).parent_path());
    }
    return dirs;
  };
  auto dirs = dirs_of({"a", "b"});
  ASSERT_EQ(dirs.size(), 2u);
  for (const auto& st : sn().remove_all({"a", "b"})) EXPECT_OK(st);
  for (const auto& d : dirs) EXPECT_TRUE(std::filesystem::exists(d)) << d;  // deferred
  ASSERT_OK(sn().cleanup());
  for (const auto& d : dirs) EXPECT_FALSE(std::filesystem::exists(d)) << d;

  reopen_with("sync_remove = true\n");
  dirs = dirs_of({"c", "d"});
  ASSERT_EQ(dirs.size(), 2u);
  for (const auto& st : sn().remove_all({"c", "d"})) EXPECT_OK(st);
  for (const auto& d : dirs) EXPECT_FALSE(std::filesystem::exists(d)) << d;
}

TEST_F(OverlaySnapshotter, MountOptionsAreAppendedToOverlayMounts) {
  reopen_with("mount_options = [\"volatile\"]\n");
  ASSERT_OK(layer("l1", "", {{"f", "1"}}));
  auto act = sn().prepare("b", "l1", {});
  ASSERT_OK(act.status());
  EXPECT_EQ((*act)[0].options.back(), "volatile");
  auto m = mount(*act);
  ASSERT_OK(m.status());
  EXPECT_EQ(read_file(m->path() / "f"), "1");
}

TEST_F(OverlaySnapshotter, BadConfigIsInvalidArgument) {
  for (const char* config : {"sync_remove = \"yes\"\n", "mount_options = \"ro\"\n", "mount_options = [1]\n",
                             "upperdir_label = \n"}) {
    SCOPED_TRACE(config);
    auto ctx = context(dir_.path() / "other-root", config);
    InitResult inst = init(ctx);
    ASSERT_FALSE(inst.ok());
    EXPECT_EQ(inst.status().code(), Code::kInvalidArgument) << inst.status().to_string();
    EXPECT_FALSE(inst.status().is_skip());
  }
}

// Overlayfs cannot use another overlay as its upper layer: a root inside an
// overlay mount is where the snapshotter must skip, not fail.
TEST_F(OverlaySnapshotter, InitSkipsWhereOverlayfsDoesNotWork) {
  const auto base = dir_.path() / "ovl";
  for (const char* d : {"lower", "upper", "work", "merged"}) std::filesystem::create_directories(base / d);
  const std::string data = "lowerdir=" + (base / "lower").string() +
                           ",upperdir=" + (base / "upper").string() + ",workdir=" + (base / "work").string();
  ASSERT_EQ(::mount("overlay", (base / "merged").c_str(), "overlay", 0, data.c_str()), 0);
  auto ctx = context(base / "merged" / "root", plugin().default_config);
  InitResult inst = init(ctx);
  EXPECT_FALSE(inst.ok());
  EXPECT_TRUE(inst.status().is_skip()) << inst.status().to_string();
  EXPECT_NE(inst.status().message().find("overlayfs"), std::string::npos) << inst.status().to_string();
  EXPECT_TRUE(ctx.exports.empty());
  // The check leaves nothing behind.
  EXPECT_TRUE(std::filesystem::is_empty(base / "merged" / "root"));
  ASSERT_EQ(::umount2((base / "merged").c_str(), 0), 0);
}

// The check mounts once per boot, kernel and file system: its unmount runs
// after init returns, and what it found is kept in the root for a restart.
TEST_F(OverlaySnapshotter, CheckIsRememberedAndItsMountCleanedUp) {
  const auto root = dir_.path() / "checked";
  auto first = check_overlay_support(root);
  ASSERT_OK(first.status());
  first->wait();
  const std::string remembered = read_file(root / "overlay-check");
  EXPECT_NE(remembered.find("boot "), std::string::npos) << remembered;
  EXPECT_NE(remembered.find("kernel "), std::string::npos) << remembered;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(root)) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"overlay-check"});

  EXPECT_TRUE(first->mounted());

  // Remembered: no test mount this time.
  auto second = check_overlay_support(root);
  ASSERT_OK(second.status());
  EXPECT_FALSE(second->mounted());

  // A record of another boot or kernel is not trusted: the mount is done
  // again and the record rewritten.
  ASSERT_OK(write_file(root / "overlay-check", "boot another\nkernel 1.0\ndevice 1\n"));
  auto third = check_overlay_support(root);
  ASSERT_OK(third.status());
  EXPECT_TRUE(third->mounted());
  third->wait();
  EXPECT_EQ(read_file(root / "overlay-check"), remembered);
}

TEST_F(OverlaySnapshotter, InitExportsItsRoot) {
  auto ctx = context(dir_.path() / "second", plugin().default_config);
  InitResult inst = init(ctx);
  ASSERT_OK(inst.status());
  EXPECT_EQ(ctx.exports["root"], (dir_.path() / "second").string());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() / "second" / "snapshots"));
  ASSERT_OK((*inst)->close());
}

}  // namespace
}  // namespace berth::snapshot::test
