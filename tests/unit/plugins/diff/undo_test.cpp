// A failed apply takes back the entries it created (undo_log.hpp): a fresh
// target is left empty whatever the layer held, what was there before stays,
// and the undo never reaches through a link a later entry made.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
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
using test::LayerBuilder;

Status apply_tar(const LayerBuilder& layer, const fs::path& dir, ApplyOptions options) {
  const std::string tar = layer.tar();
  MemorySource src(tar);
  return test::status_of(apply_layer(src, kMediaTypeLayerTar, dir, options));
}

// Every kind of entry, parents given and omitted, then one that fails.
LayerBuilder everything_then(const std::string& bad_link_target) {
  return LayerBuilder()
      .dir("etc")
      .file("etc/passwd", "root", 04755)
      .file("deep/er/file", "x")  // parents made on the way
      .symlink("etc/link", "passwd")
      .hardlink("etc/hard", "etc/passwd")
      .add({.path = "run/fifo", .type = S_IFIFO})
      .file("gone/.wh.thing", "")  // a whiteout: a 0:0 device in overlay mode
      .hardlink("bad", bad_link_target);
}

class UndoTest : public ::testing::TestWithParam<WhiteoutMode> {};

TEST_P(UndoTest, AFailedApplyLeavesAFreshTargetEmpty) {
  test::TempDir dir;
  EXPECT_CODE(apply_tar(everything_then("no/such/file"), dir.path(), {.whiteouts = GetParam()}),
              Code::kNotFound);
  EXPECT_TRUE(fs::is_empty(dir.path())) << test::snapshot_tree(dir.path()).size() << " entries left";

  // The same after the last byte: a wrong diffID.
  const Status st =
      apply_tar(everything_then("etc/passwd"), dir.path(),
                {.whiteouts = GetParam(), .expected_diff_id = "sha256:" + std::string(64, '0')});
  EXPECT_CODE(st, Code::kFailedPrecondition);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST_P(UndoTest, WhatWasThereBeforeStays) {
  test::TempDir dir;
  test::write_tree(dir.path(), {{"etc/hostname", "host"}, {"keep/sub/file", "kept"}});
  const auto before = test::snapshot_tree(dir.path(), /*with_dir_mtime=*/false);

  const Status st = apply_tar(LayerBuilder()
                                  .dir("etc")
                                  .file("etc/new", "new")
                                  .file("keep/sub/new/deeper", "new")
                                  .file("fresh/a/b", "new")
                                  .hardlink("bad", "missing"),
                              dir.path(), {.whiteouts = GetParam()});
  EXPECT_CODE(st, Code::kNotFound);
  // The layer's own directory entry for etc/ set its mode and owner; only
  // entries are taken back, so compare what is there and what it holds.
  auto after = test::snapshot_tree(dir.path(), /*with_dir_mtime=*/false);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [path, desc] : before) {
    ASSERT_EQ(after.count(path), 1u) << path;
    if (!fs::is_directory(dir / path)) {
      EXPECT_EQ(after[path], desc) << path;
    }
  }
}

TEST_P(UndoTest, NeverFollowsALinkALaterEntryMade) {
  test::TempDir dir;
  fs::create_directories(dir / "p");
  fs::create_directories(dir / "victim");
  test::write_file(dir / "victim/x", "not the layer's");
  // p/x is new (noted for the undo), then p becomes a link to victim/, where
  // the undo must not go looking for x.
  const Status st =
      apply_tar(LayerBuilder().file("p/x", "mine").symlink("p", "victim").hardlink("bad", "missing"),
                dir.path(), {.whiteouts = GetParam()});
  EXPECT_CODE(st, Code::kNotFound);
  EXPECT_EQ(test::read_file(dir / "victim/x"), "not the layer's");
}

INSTANTIATE_TEST_SUITE_P(BothModes, UndoTest,
                         ::testing::Values(WhiteoutMode::kDelete, WhiteoutMode::kOverlay),
                         [](const auto& info) {
                           return info.param == WhiteoutMode::kDelete ? "Delete" : "Overlay";
                         });

}  // namespace
}  // namespace berth::diff
