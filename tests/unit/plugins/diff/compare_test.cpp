// Compare: the layer written from (lower, upper), applied to a copy of lower,
// must give upper again.
#include "compare.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "apply.hpp"
#include "berth/diff.hpp"
#include "byte_source.hpp"
#include "digest.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "tree_snapshot.hpp"

namespace berth::diff {
namespace {

namespace fs = std::filesystem;

void copy_tree(const fs::path& from, const fs::path& to) {
  const std::string cmd = "cp -a '" + from.string() + "' '" + to.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

void set_mtime(const fs::path& p, time_t sec, long nsec) {
  const timespec t[2] = {{sec, nsec}, {sec, nsec}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW), 0) << p;
}

class CompareTest : public ::testing::TestWithParam<Compression> {
 protected:
  void SetUp() override {
    lower_ = dir_ / "lower";
    upper_ = dir_ / "upper";
    fs::create_directories(lower_ / "keep");
    test::write_tree(lower_, {{"same.txt", "same"},
                              {"modified.txt", "before"},
                              {"samesize.txt", "aaaa"},
                              {"chmod.txt", "mode"},
                              {"gone.txt", "gone"},
                              {"gonedir/sub/f", "f"},
                              {"replaced/a", "a"},
                              {"replaced/b", "b"},
                              {"dir2file/x/y", "y"},
                              {"file2dir", "file"},
                              {"keep/unchanged", "u"},
                              {"xattr.txt", "x"}});
    fs::create_symlink("same.txt", lower_ / "link");
    for (const char* p : {"same.txt", "modified.txt", "chmod.txt", "keep/unchanged", "xattr.txt"}) {
      set_mtime(lower_ / p, 1600000000, 500);
    }
    set_mtime(lower_ / "samesize.txt", 1600000000, 0);
    copy_tree(lower_, upper_);

    test::write_file(upper_ / "modified.txt", "after, longer");
    test::write_file(upper_ / "samesize.txt", "bbbb");  // same size, whole-second mtime
    set_mtime(upper_ / "samesize.txt", 1600000000, 0);
    fs::permissions(upper_ / "chmod.txt", fs::perms(0600));
    ::chown((upper_ / "same.txt").c_str(), 0, 0);
    fs::remove(upper_ / "gone.txt");
    fs::remove_all(upper_ / "gonedir");
    fs::remove(upper_ / "replaced/a");
    fs::remove(upper_ / "replaced/b");
    test::write_file(upper_ / "replaced/c", "c");
    fs::remove_all(upper_ / "dir2file");
    test::write_file(upper_ / "dir2file", "now a file");
    fs::remove(upper_ / "file2dir");
    fs::create_directories(upper_ / "file2dir/inner");
    test::write_file(upper_ / "file2dir/inner/z", "z");
    fs::remove(upper_ / "link");
    fs::create_symlink("modified.txt", upper_ / "link");
    fs::create_directories(upper_ / "new/deep");
    test::write_file(upper_ / "new/deep/file", std::string(3 << 20, 'n'));
    test::write_file(upper_ / "new/h1", "linked");
    fs::create_hard_link(upper_ / "new/h1", upper_ / "new/h2");
    ASSERT_EQ(::mkfifo((upper_ / "new/fifo").c_str(), 0640), 0);
    ASSERT_EQ(::setxattr((upper_ / "xattr.txt").c_str(), "trusted.berth", "v", 1, 0), 0);
    fs::create_directories(upper_ / "wh-like");
    test::write_file(upper_ / "wh-like/.hidden", "dot file");
  }

  test::TempDir dir_;
  fs::path lower_;
  fs::path upper_;
};

std::string media_type_for(Compression c) {
  switch (c) {
    case Compression::kNone:
      return std::string(kMediaTypeLayerTar);
    case Compression::kGzip:
      return std::string(kMediaTypeLayerGzip);
    case Compression::kZstd:
      return std::string(kMediaTypeLayerZstd);
  }
  return {};
}

TEST_P(CompareTest, AppliedDiffTurnsLowerIntoUpper) {
  StringSink blob;
  auto diff = write_diff(lower_, upper_, GetParam(), blob);
  ASSERT_OK(test::status_of(diff));

  const fs::path target = dir_ / "target";
  copy_tree(lower_, target);
  MemorySource src(blob.out);
  auto applied =
      apply_layer(src, media_type_for(GetParam()), target, {.expected_diff_id = diff->uncompressed_digest});
  ASSERT_OK(test::status_of(applied));
  EXPECT_EQ(applied->size, diff->uncompressed_size);
  EXPECT_EQ(test::snapshot_tree(target, /*with_dir_mtime=*/false), test::snapshot_tree(upper_, false));
  struct stat h1 {
  }, h2{};
  ASSERT_EQ(::lstat((target / "new/h1").c_str(), &h1), 0);
  ASSERT_EQ(::lstat((target / "new/h2").c_str(), &h2), 0);
  EXPECT_EQ(h1.st_ino, h2.st_ino) << "hardlinks stay linked";
}

TEST_P(CompareTest, UnchangedEntriesAreNotWritten) {
  StringSink blob;
  auto diff = write_diff(lower_, upper_, Compression::kNone, blob);
  ASSERT_OK(test::status_of(diff));
  EXPECT_EQ(blob.out.find("keep/unchanged"), std::string::npos);
  EXPECT_NE(blob.out.find(".wh.gone.txt"), std::string::npos);
  EXPECT_NE(blob.out.find("gonedir"), std::string::npos);
  EXPECT_EQ(blob.out.find("gonedir/sub"), std::string::npos) << "a deleted directory is one whiteout";
  EXPECT_NE(blob.out.find("samesize.txt"), std::string::npos) << "contents compared without sub-second mtime";
}

TEST(CompareEmptyTest, IdenticalTreesGiveAnEmptyLayer) {
  test::TempDir dir;
  fs::create_directories(dir / "a/d");
  test::write_file(dir / "a/d/f", "x");
  copy_tree(dir / "a", dir / "b");
  StringSink blob;
  auto diff = write_diff(dir / "a", dir / "b", Compression::kNone, blob);
  ASSERT_OK(test::status_of(diff));
  EXPECT_EQ(blob.out, std::string(1024, '\0'));
  EXPECT_EQ(diff->uncompressed_digest, test::sha256_of(blob.out));
}

INSTANTIATE_TEST_SUITE_P(Compressions, CompareTest,
                         ::testing::Values(Compression::kNone, Compression::kGzip, Compression::kZstd),
                         [](const auto& info) {
                           return info.param == Compression::kNone   ? "Tar"
                                  : info.param == Compression::kGzip ? "Gzip"
                                                                     : "Zstd";
                         });

}  // namespace
}  // namespace berth::diff
