// Hostile layers: every path must stay inside the target root. Each layer is
// applied in both whiteout modes next to a sentinel host directory, which
// must be byte-for-byte, mode-for-mode unchanged afterwards; the layer
// either fails with a clear error or lands inside the root.
#include <gtest/gtest.h>
#include <limits.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>

#include "apply.hpp"
#include "berth/diff.hpp"
#include "byte_source.hpp"
#include "layer_builder.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "tree_snapshot.hpp"

namespace berth::diff {
namespace {

namespace fs = std::filesystem;
using test::EntrySpec;
using test::LayerBuilder;

class HostileTest : public ::testing::TestWithParam<WhiteoutMode> {
 protected:
  void SetUp() override {
    root_ = work_ / "root";
    outside_ = work_ / "outside";
    fs::create_directories(root_);
    fs::create_directories(outside_ / "dir");
    test::write_file(outside_ / "sentinel", "host");
    fs::permissions(outside_ / "sentinel", fs::perms(0644));
    fs::permissions(outside_, fs::perms(0755));
    before_ = host_state();
  }

  void TearDown() override { EXPECT_EQ(host_state(), before_) << "something outside the root changed"; }

  // The sentinel tree, and what sits beside the root.
  std::map<std::string, std::string> host_state() const {
    auto state = test::snapshot_tree(outside_);
    struct stat st {};
    ::lstat(outside_.c_str(), &st);
    state["<outside>"] = std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + " " +
                         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    for (const auto& e : fs::directory_iterator(work_.path()))
      state["<work>/" + e.path().filename().string()] = "";
    return state;
  }

  Status apply(const LayerBuilder& layer) {
    const std::string tar = layer.tar();
    MemorySource src(tar);
    auto r = apply_layer(src, kMediaTypeLayerTar, root_, {.whiteouts = GetParam()});
    return r.ok() ? Status() : r.status();
  }

  std::string outside_abs() const { return outside_.string(); }
  // `outside_` as a path relative to "/", e.g. "tmp/berth-test-X/outside".
  std::string outside_rel() const { return outside_.string().substr(1); }

  test::TempDir work_;
  fs::path root_;
  fs::path outside_;
  std::map<std::string, std::string> before_;
};

TEST_P(HostileTest, SymlinkedParentPointingOutsideStaysInside) {
  Status st = apply(
      LayerBuilder().symlink("evil", outside_abs()).file("evil/sentinel", "pwned").file("evil/new", "pwned"));
  // The symlink resolves to <root>/<outside path>, which does not exist.
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/evil"), std::string::npos) << st.to_string();
}

TEST_P(HostileTest, SymlinkedParentResolvesToTheRootsOwnCopy) {
  fs::create_directories(root_ / outside_rel());
  ASSERT_OK(apply(LayerBuilder().symlink("evil", outside_abs()).file("evil/sentinel", "pwned")));
  EXPECT_EQ(test::read_file(root_ / outside_rel() / "sentinel"), "pwned");
}

TEST_P(HostileTest, RelativeSymlinkClimbingOutStopsAtTheRoot) {
  fs::create_directories(root_ / outside_rel());
  ASSERT_OK(apply(LayerBuilder()
                      .symlink("up", "../../../../../../../../..")
                      .file("up/" + outside_rel() + "/sentinel", "pwned")));
  EXPECT_EQ(test::read_file(root_ / outside_rel() / "sentinel"), "pwned");
}

TEST_P(HostileTest, ProcMagicLinksAreNotFollowed) {
  Status st =
      apply(LayerBuilder().symlink("p", "/proc/self/root").file("p/" + outside_rel() + "/sentinel", "x"));
  EXPECT_FALSE(st.ok());
}

TEST_P(HostileTest, DotDotNamesAreCleanedIntoTheRoot) {
  // The builder writes names as given (no sanitising on the way in).
  ASSERT_NE(LayerBuilder().file("../outside/sentinel", "").tar().find("../outside/sentinel"),
            std::string::npos);
  ASSERT_OK(apply(LayerBuilder()
                      .file("../outside/sentinel", "pwned")
                      .file("../../escape", "pwned")
                      .file("a/../../x", "deep")
                      .file("a/b/../../../../y", "deeper")
                      .dir("../outside/dir", 0777)));
  EXPECT_EQ(test::read_file(root_ / "outside/sentinel"), "pwned");
  EXPECT_EQ(test::read_file(root_ / "escape"), "pwned");
  EXPECT_EQ(test::read_file(root_ / "x"), "deep");
  EXPECT_EQ(test::read_file(root_ / "y"), "deeper");
}

TEST_P(HostileTest, AbsoluteNamesAreRelativeToTheRoot) {
  ASSERT_OK(apply(LayerBuilder().file(outside_abs() + "/sentinel", "pwned").file("/etc/motd", "hi")));
  EXPECT_EQ(test::read_file(root_ / outside_rel() / "sentinel"), "pwned");
  EXPECT_EQ(test::read_file(root_ / "etc/motd"), "hi");
}

TEST_P(HostileTest, HardlinkThroughASymlinkedParentFails) {
  Status st =
      apply(LayerBuilder().symlink("evil", outside_abs()).hardlink("h", "evil/sentinel").file("h", "pwned"));
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("hardlink /h"), std::string::npos) << st.to_string();
}

TEST_P(HostileTest, HardlinkToAnAbsoluteOrDotDotHostPathFails) {
  EXPECT_FALSE(apply(LayerBuilder().hardlink("h", outside_abs() + "/sentinel").file("h", "pwned")).ok());
  EXPECT_FALSE(apply(LayerBuilder().hardlink("h2", "../outside/sentinel").file("h2", "pwned")).ok());
  Status st = apply(LayerBuilder().hardlink("h3", ".."));
  EXPECT_CODE(st, Code::kInvalidArgument);
}

TEST_P(HostileTest, HardlinkToASymlinkLinksTheSymlinkNotItsTarget) {
  ASSERT_OK(apply(LayerBuilder()
                      .symlink("s", outside_abs() + "/sentinel")
                      .hardlink("h", "s")
                      .file("h", "pwned")));  // replaces h, never writes through it
  EXPECT_EQ(test::read_file(root_ / "h"), "pwned");
  EXPECT_TRUE(fs::is_symlink(root_ / "s"));
}

TEST_P(HostileTest, WritingAHardlinkNameReplacesItInsteadOfWritingThrough) {
  ASSERT_OK(apply(LayerBuilder().file("orig", "orig").hardlink("h", "orig").file("h", "new")));
  EXPECT_EQ(test::read_file(root_ / "orig"), "orig");
  EXPECT_EQ(test::read_file(root_ / "h"), "new");
}

TEST_P(HostileTest, ChmodAndChownNeverFollowSymlinks) {
  ASSERT_OK(apply(LayerBuilder()
                      .add({.path = "s",
                            .type = S_IFLNK,
                            .mode = 04777,
                            .uid = 4321,
                            .gid = 4321,
                            .symlink = outside_abs() + "/sentinel"})
                      .symlink("d", outside_abs())
                      .add({.path = "d", .type = S_IFDIR, .mode = 0777, .uid = 4321})  // replaces the symlink
                      .symlink("f", outside_abs() + "/sentinel")
                      .add({.path = "f", .type = S_IFIFO, .mode = 0777, .uid = 4321})
                      .symlink("dev", outside_abs() + "/sentinel")
                      .add({.path = "dev", .type = S_IFCHR, .mode = 0777, .dev_major = 1, .dev_minor = 3})
                      .add({.path = "dev2", .type = S_IFLNK, .symlink = outside_abs()})
                      .add({.path = "dev2/", .type = S_IFDIR, .mode = 0700})));
  struct stat st {};
  ASSERT_EQ(::lstat((root_ / "s").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 4321u) << "the symlink itself is chowned";
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(root_ / "d")));
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(root_ / "f")));
  EXPECT_TRUE(fs::is_character_file(fs::symlink_status(root_ / "dev")));
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(root_ / "dev2")));
}

TEST_P(HostileTest, WhiteoutsNamingDotOrDotDotAreRejected) {
  for (const char* name : {".wh...", ".wh..", "sub/.wh...", "sub/.wh.."}) {
    SCOPED_TRACE(name);
    fs::create_directories(root_ / "sub");
    Status st = apply(LayerBuilder().dir("sub").file(name, ""));
    EXPECT_CODE(st, Code::kInvalidArgument);
    EXPECT_NE(st.message().find("whiteout"), std::string::npos) << st.to_string();
    EXPECT_TRUE(fs::exists(root_ / "sub"));
    EXPECT_TRUE(fs::exists(root_));
  }
}

TEST_P(HostileTest, WhiteoutsBelowASymlinkedParentStayInside) {
  Status st = apply(LayerBuilder()
                        .symlink("evil", outside_abs())
                        .file("evil/.wh.sentinel", "")
                        .file("evil/.wh..wh..opq", "")
                        .file("evil/.wh.dir", ""));
  // Delete mode: nothing there to delete (fine). Overlay mode: the parent
  // cannot be created through a dangling symlink (an error). Either way the
  // host is untouched (checked in TearDown).
  if (GetParam() == WhiteoutMode::kDelete) EXPECT_OK(st);
}

TEST_P(HostileTest, SymlinkLoopsFailCleanly) {
  Status st = apply(LayerBuilder().symlink("l1", "l2").symlink("l2", "l1").file("l1/f", "x"));
  EXPECT_FALSE(st.ok());
}

TEST_P(HostileTest, SymlinkToRootThenNestedWritesStayInside) {
  ASSERT_OK(apply(LayerBuilder().symlink("r", "/").file("r/etc/passwd", "inside").file("r/r/r/etc/x", "x")));
  EXPECT_EQ(test::read_file(root_ / "etc/passwd"), "inside");
  EXPECT_EQ(test::read_file(root_ / "etc/x"), "x");
}

// ENAMETOOLONG from a syscall would be INTERNAL, blaming the daemon; the
// layer is at fault, so it is InvalidArgument naming the entry, and nothing
// of the layer stays.
TEST_P(HostileTest, NamesNoFileSystemCanHoldAreInvalidArgument) {
  const std::string long_name(NAME_MAX + 1, 'n');
  std::string long_path;
  while (long_path.size() < PATH_MAX) long_path += std::string(200, 'p') + "/";
  long_path += "f";
  struct Case {
    const char* what;
    LayerBuilder layer;
    const char* says;   // the limit
    const char* names;  // a piece of the entry's name
  };
  const Case cases[] = {
      {"a component over NAME_MAX", LayerBuilder().file("ok", "x").file("d/" + long_name, "x"), "NAME_MAX",
       "d/nnnnnnnn"},
      {"a directory over NAME_MAX", LayerBuilder().dir(long_name), "NAME_MAX", "nnnnnnnn"},
      {"a whiteout over NAME_MAX", LayerBuilder().file(".wh." + long_name, ""), "NAME_MAX", ".wh.nnnnnnnn"},
      {"a path over PATH_MAX", LayerBuilder().file("ok", "x").file(long_path, "x"), "PATH_MAX", "pppppppp"},
      {"a symlink target over PATH_MAX", LayerBuilder().symlink("s", long_path), "PATH_MAX", "symlink /s"},
      {"a hardlink target over NAME_MAX", LayerBuilder().file("ok", "x").hardlink("h", long_name), "NAME_MAX",
       "hardlink /h"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Status st = apply(c.layer);
    EXPECT_CODE(st, Code::kInvalidArgument);
    EXPECT_NE(st.message().find(c.says), std::string::npos) << st.to_string();
    EXPECT_NE(st.message().find(c.names), std::string::npos) << st.to_string();
    EXPECT_TRUE(fs::is_empty(root_));
  }
}

INSTANTIATE_TEST_SUITE_P(BothModes, HostileTest,
                         ::testing::Values(WhiteoutMode::kDelete, WhiteoutMode::kOverlay),
                         [](const auto& info) {
                           return info.param == WhiteoutMode::kDelete ? "Delete" : "Overlay";
                         });

}  // namespace
}  // namespace berth::diff
