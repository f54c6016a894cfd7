// The apply engine against real directories: entry types, metadata,
// compression, diffIDs and whiteouts in both modes.
#include "apply.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "berth/diff.hpp"
#include "byte_source.hpp"
#include "digest.hpp"
#include "layer_builder.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "tree_snapshot.hpp"

namespace berth::diff {
namespace {

namespace fs = std::filesystem;
using test::EntrySpec;
using test::LayerBuilder;

Result<ApplyResult> apply_blob(const std::string& blob, std::string_view media_type, const fs::path& dir,
                               ApplyOptions options = {}) {
  MemorySource src(blob);
  return apply_layer(src, media_type, dir, options);
}

struct stat lstat_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

TEST(ApplyTest, AppliesEveryEntryTypeWithMetadata) {
  test::TempDir dir;
  const std::string big(3 << 20, 'x');  // larger than one stream chunk
  LayerBuilder layer;
  layer.add({.path = "etc/", .type = S_IFDIR, .mode = 0750, .uid = 10, .gid = 20, .mtime = 1500000000})
      .add({.path = "etc/passwd",
            .mode = 04755,
            .uid = 1000,
            .gid = 1001,
            .content = "root:x:0:0\n",
            .mtime = 1400000000,
            .mtime_nsec = 123456789,
            .xattrs = {{"user.origin", "layer"}}})
      .add({.path = "big", .content = big})
      .add(
          {.path = "etc/link", .type = S_IFLNK, .uid = 5, .gid = 6, .symlink = "passwd", .mtime = 1300000000})
      .hardlink("etc/hard", "etc/passwd")
      .add({.path = "dev/null", .type = S_IFCHR, .mode = 0666, .dev_major = 1, .dev_minor = 3})
      .add({.path = "dev/loop0", .type = S_IFBLK, .mode = 0660, .gid = 6, .dev_major = 7, .dev_minor = 0})
      .add({.path = "run/fifo", .type = S_IFIFO, .mode = 0620})
      .add({.path = "tmp/", .type = S_IFDIR, .mode = 01777})
      .add({.path = "./sgid/", .type = S_IFDIR, .mode = 02775});
  const std::string tar = layer.tar();
  auto r = apply_blob(tar, kMediaTypeLayerTar, dir.path());
  ASSERT_OK(test::status_of(r));
  EXPECT_EQ(r->diff_id, test::sha256_of(tar));
  EXPECT_EQ(r->size, static_cast<int64_t>(tar.size()));

  auto st = lstat_of(dir / "etc");
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, 10u);
  EXPECT_EQ(st.st_gid, 20u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000) << "directory times are set after their children";

  st = lstat_of(dir / "etc/passwd");
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 04755u) << "setuid survives chown";
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1400000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(test::read_file(dir / "etc/passwd"), "root:x:0:0\n");
  char value[64];
  const ssize_t n = ::getxattr((dir / "etc/passwd").c_str(), "user.origin", value, sizeof(value));
  if (n >= 0) {
    EXPECT_EQ(std::string(value, n), "layer");
  }  // else a file system without user xattrs: skipped

  EXPECT_EQ(test::read_file(dir / "big"), big);

  st = lstat_of(dir / "etc/link");
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(fs::read_symlink(dir / "etc/link"), "passwd");
  EXPECT_EQ(st.st_uid, 5u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1300000000);

  EXPECT_EQ(lstat_of(dir / "etc/hard").st_ino, lstat_of(dir / "etc/passwd").st_ino);

  st = lstat_of(dir / "dev/null");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  st = lstat_of(dir / "dev/loop0");
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(7, 0));
  EXPECT_EQ(st.st_gid, 6u);
  st = lstat_of(dir / "run/fifo");
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  EXPECT_EQ(lstat_of(dir / "tmp").st_mode & 07777, 01777u);
  EXPECT_EQ(lstat_of(dir / "sgid").st_mode & 07777, 02775u);
}

TEST(ApplyTest, GzipMultiMemberZstdAndSniffedCompressionGiveTheSameDiffId) {
  std::string content;
  for (int i = 0; i < 20000; ++i) content += "line " + std::to_string(i) + "\n";
  const std::string tar = LayerBuilder().dir("d").file("d/f", content).file("g", "small").tar();
  const std::string want = test::sha256_of(tar);
  struct Case {
    std::string name;
    std::string blob;
    std::string media_type;
  };
  const Case cases[] = {
      {"tar", tar, std::string(kMediaTypeLayerTar)},
      {"docker tar", tar, std::string(kMediaTypeDockerLayerTar)},
      {"gzip", test::gzip(tar), std::string(kMediaTypeLayerGzip)},
      {"docker gzip", test::gzip(tar), std::string(kMediaTypeDockerLayerGzip)},
      {"multi-member gzip", test::gzip_multi(tar, 7), std::string(kMediaTypeLayerGzip)},
      {"zstd", test::zstd(tar), std::string(kMediaTypeLayerZstd)},
      {"docker zstd", test::zstd(tar) + test::zstd(""), "application/vnd.docker.image.rootfs.diff.tar.zstd"},
      {"gzip labelled tar", test::gzip(tar), std::string(kMediaTypeLayerTar)},
      {"zstd labelled tar", test::zstd(tar), std::string(kMediaTypeLayerTar)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    test::TempDir dir;
    auto r = apply_blob(c.blob, c.media_type, dir.path(), {.expected_diff_id = want});
    ASSERT_OK(test::status_of(r));
    EXPECT_EQ(r->diff_id, want);
    EXPECT_EQ(r->size, static_cast<int64_t>(tar.size()));
    EXPECT_EQ(test::read_file(dir / "d/f"), content);
    EXPECT_EQ(test::read_file(dir / "g"), "small");
  }
}

TEST(ApplyTest, DiffIdCoversTrailingPadding) {
  // GNU tar pads to 10 KiB records; the padding is part of the diffID.
  std::string tar = LayerBuilder().file("a", "x").tar();
  tar += std::string(20480, '\0');
  test::TempDir dir;
  auto r = apply_blob(test::gzip(tar), kMediaTypeLayerGzip, dir.path());
  ASSERT_OK(test::status_of(r));
  EXPECT_EQ(r->diff_id, test::sha256_of(tar));
  EXPECT_EQ(r->size, static_cast<int64_t>(tar.size()));
}

TEST(ApplyTest, WrongDiffIdIsFailedPrecondition) {
  const std::string tar = LayerBuilder().file("a", "x").tar();
  test::TempDir dir;
  auto r = apply_blob(test::gzip(tar), kMediaTypeLayerGzip, dir.path(),
                      {.expected_diff_id = "sha256:" + std::string(64, '0')});
  EXPECT_CODE(r, Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("diffID"), std::string::npos) << r.status().to_string();
}

TEST(ApplyTest, UnknownMediaTypeIsUnimplemented) {
  test::TempDir dir;
  for (const char* mt : {"application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
                         "application/vnd.oci.image.layer.v1.tar+bzip2", "application/octet-stream"}) {
    auto r = apply_blob("", mt, dir.path());
    EXPECT_CODE(r, Code::kUnimplemented);
    EXPECT_NE(r.status().message().find(mt), std::string::npos) << r.status().to_string();
  }
}

TEST(ApplyTest, TruncatedOrCorruptCompressedDataIsAnError) {
  std::string content(200000, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 7919) % 251);
  const std::string tar = LayerBuilder().file("f", content).tar();
  const std::string gz = test::gzip(tar);
  {
    test::TempDir dir;
    auto r = apply_blob(gz.substr(0, gz.size() / 2), kMediaTypeLayerGzip, dir.path());
    EXPECT_CODE(r, Code::kDataLoss);
    EXPECT_NE(r.status().message().find("truncated gzip"), std::string::npos) << r.status().to_string();
  }
  {
    test::TempDir dir;  // only the CRC trailer missing
    auto r = apply_blob(gz.substr(0, gz.size() - 4), kMediaTypeLayerGzip, dir.path());
    EXPECT_FALSE(r.ok());
  }
  {
    std::string bad = gz;
    for (std::size_t i = 100; i < 400; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    test::TempDir dir;
    auto r = apply_blob(bad, kMediaTypeLayerGzip, dir.path());
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("gzip"), std::string::npos) << r.status().to_string();
  }
  {
    test::TempDir dir;
    auto r = apply_blob(gz + "garbage!", kMediaTypeLayerGzip, dir.path());
    EXPECT_CODE(r, Code::kDataLoss);
    EXPECT_NE(r.status().message().find("trailing data"), std::string::npos) << r.status().to_string();
  }
  {
    const std::string z = test::zstd(tar);
    test::TempDir dir;
    auto r = apply_blob(z.substr(0, z.size() - 10), kMediaTypeLayerZstd, dir.path());
    EXPECT_CODE(r, Code::kDataLoss);
    EXPECT_NE(r.status().message().find("zstd"), std::string::npos) << r.status().to_string();
  }
  {
    test::TempDir dir;  // a tar cut in the middle of a file's content
    auto r = apply_blob(tar.substr(0, 100000), kMediaTypeLayerTar, dir.path());
    EXPECT_FALSE(r.ok());
  }
}

TEST(ApplyTest, LaterEntriesReplaceEarlierOnes) {
  test::TempDir dir;
  test::write_tree(dir.path(), {{"was-dir/sub/f", "old"}, {"kept-dir/lower", "lower"}, {"was-file", "old"}});
  fs::create_symlink("/etc/hostname", dir / "was-link");
  const std::string tar = LayerBuilder()
                              .file("was-dir", "now a file")
                              .dir("kept-dir", 0700)
                              .file("kept-dir/upper", "upper")
                              .dir("was-file")
                              .file("was-link", "now a file")
                              .symlink("same", "a")
                              .file("same", "file wins")
                              .tar();
  ASSERT_OK(test::status_of(apply_blob(tar, kMediaTypeLayerTar, dir.path())));
  EXPECT_EQ(test::read_file(dir / "was-dir"), "now a file");
  EXPECT_EQ(test::read_file(dir / "kept-dir/lower"), "lower") << "a directory replacing a directory merges";
  EXPECT_EQ(test::read_file(dir / "kept-dir/upper"), "upper");
  EXPECT_EQ(lstat_of(dir / "kept-dir").st_mode & 07777, 0700u);
  EXPECT_TRUE(fs::is_directory(dir / "was-file"));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(dir / "was-link")));
  EXPECT_EQ(test::read_file(dir / "was-link"), "now a file");
  EXPECT_EQ(test::read_file(dir / "same"), "file wins");
}

// The lower tree both whiteout tests start from.
void make_lower(const fs::path& root) {
  fs::create_directories(root / "a");
  test::write_file(root / "a/keep", "keep");
  test::write_file(root / "a/gone", "gone");
  fs::create_directories(root / "b/deep");
  test::write_file(root / "b/deep/f", "f");
  fs::create_directories(root / "opq/olddir");
  test::write_file(root / "opq/old", "old");
  test::write_file(root / "opq/olddir/x", "x");
}

std::string whiteout_layer() {
  return LayerBuilder()
      .dir("a")
      .file("a/.wh.gone", "")
      .file(".wh.b", "")
      .dir("opq")
      .file("opq/.wh..wh..opq", "")
      .file("opq/new", "new")
      .dir("late")
      .file("late/mine", "mine")
      .file("late/.wh..wh..opq", "")  // after the layer's own entries: they stay
      .file("late/.wh.mine", "")      // whiteouts never hide the same layer
      .file(".wh..wh.plnk", "")       // aufs bookkeeping: ignored
      .file("a/.wh.never-existed", "")
      .tar();
}

TEST(ApplyTest, WhiteoutsDeleteInAMergedTree) {
  test::TempDir dir;
  make_lower(dir.path());
  fs::create_directories(dir / "late");
  test::write_file(dir / "late/lower", "lower");
  ASSERT_OK(test::status_of(apply_blob(whiteout_layer(), kMediaTypeLayerTar, dir.path())));
  EXPECT_TRUE(fs::exists(dir / "a/keep"));
  EXPECT_FALSE(fs::exists(dir / "a/gone"));
  EXPECT_FALSE(fs::exists(dir / "a/.wh.gone"));
  EXPECT_FALSE(fs::exists(dir / "b"));
  EXPECT_FALSE(fs::exists(dir / "opq/old"));
  EXPECT_FALSE(fs::exists(dir / "opq/olddir"));
  EXPECT_EQ(test::read_file(dir / "opq/new"), "new");
  EXPECT_FALSE(fs::exists(dir / "opq/.wh..wh..opq"));
  EXPECT_EQ(test::read_file(dir / "late/mine"), "mine");
  EXPECT_FALSE(fs::exists(dir / "late/lower"));
  EXPECT_FALSE(fs::exists(dir / ".wh..wh.plnk"));
}

bool is_whiteout(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

std::string opaque_xattr(const fs::path& p) {
  char v[8];
  const ssize_t n = ::lgetxattr(p.c_str(), "trusted.overlay.opaque", v, sizeof(v));
  return n < 0 ? "" : std::string(v, n);
}

TEST(ApplyTest, WhiteoutsBecomeOverlayWhiteoutsInAnUpperdir) {
  test::TempDir dir;
  fs::create_directories(dir / "lower");
  fs::create_directories(dir / "upper");
  make_lower(dir / "lower");
  ASSERT_OK(test::status_of(apply_blob(whiteout_layer(), kMediaTypeLayerTar, dir / "upper",
                                       {.whiteouts = WhiteoutMode::kOverlay})));
  EXPECT_TRUE(is_whiteout(dir / "upper/a/gone"));
  EXPECT_TRUE(is_whiteout(dir / "upper/b"));
  EXPECT_TRUE(is_whiteout(dir / "upper/a/never-existed"));
  EXPECT_EQ(opaque_xattr(dir / "upper/opq"), "y");
  EXPECT_EQ(opaque_xattr(dir / "upper/a"), "");
  EXPECT_EQ(test::read_file(dir / "upper/opq/new"), "new");
  EXPECT_EQ(test::read_file(dir / "upper/late/mine"), "mine");
  EXPECT_FALSE(fs::exists(dir / "upper/.wh..wh.plnk"));

  // What an overlay of the two shows is what the merged-tree apply gives.
  fs::create_directories(dir / "work");
  fs::create_directories(dir / "merged");
  const std::string opts = "lowerdir=" + (dir / "lower").string() + ",upperdir=" + (dir / "upper").string() +
                           ",workdir=" + (dir / "work").string();
  if (::mount("overlay", (dir / "merged").c_str(), "overlay", 0, opts.c_str()) != 0) {
    GTEST_SKIP() << "overlayfs unavailable: " << std::strerror(errno);
  }
  EXPECT_TRUE(fs::exists(dir / "merged/a/keep"));
  EXPECT_FALSE(fs::exists(dir / "merged/a/gone"));
  EXPECT_FALSE(fs::exists(dir / "merged/b"));
  EXPECT_FALSE(fs::exists(dir / "merged/opq/old"));
  EXPECT_TRUE(fs::exists(dir / "merged/opq/new"));
  ::umount2((dir / "merged").c_str(), MNT_DETACH);
}

}  // namespace
}  // namespace berth::diff

namespace berth::diff {
namespace {

// A layer hardlinking to a file that only a lower layer holds, applied into
// an overlay upperdir: the file is copied up first (owner, mode, times and
// content), then linked, and the lower layer is left alone.
TEST(ApplyTest, AHardlinkToALowerLayersFileCopiesItUp) {
  test::TempDir dir;
  const fs::path lower = dir / "lower";
  const fs::path upper = dir / "upper";
  fs::create_directories(lower / "lib");
  fs::create_directories(upper);
  { std::ofstream(lower / "lib" / "a") << "shared bytes"; }
  ASSERT_EQ(::chown((lower / "lib" / "a").c_str(), 123, 456), 0);
  ASSERT_EQ(::chmod((lower / "lib" / "a").c_str(), 0750), 0);
  const struct timespec times[2] = {{1000, 5}, {2000, 7}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (lower / "lib" / "a").c_str(), times, 0), 0);
  const struct stat before = lstat_of(lower / "lib" / "a");

  const std::string tar = LayerBuilder().dir("bin").hardlink("bin/b", "lib/a").tar();
  ApplyOptions options{.whiteouts = WhiteoutMode::kOverlay, .lower_dirs = {lower}};
  ASSERT_OK(test::status_of(apply_blob(tar, kMediaTypeLayerTar, upper, options)));

  EXPECT_EQ(test::read_file(upper / "lib" / "a"), "shared bytes");
  const struct stat up = lstat_of(upper / "lib" / "a");
  const struct stat link = lstat_of(upper / "bin" / "b");
  EXPECT_EQ(up.st_ino, link.st_ino);
  EXPECT_EQ(up.st_uid, 123u);
  EXPECT_EQ(up.st_gid, 456u);
  EXPECT_EQ(up.st_mode & 07777, 0750u);
  EXPECT_EQ(up.st_mtim.tv_sec, 2000);
  EXPECT_EQ(up.st_mtim.tv_nsec, 7);
  const struct stat after = lstat_of(lower / "lib" / "a");
  EXPECT_EQ(after.st_nlink, before.st_nlink);
  EXPECT_EQ(after.st_ino, before.st_ino);
}

// The target is looked up inside each lower layer as inside the root: a
// name climbing out finds nothing outside, and a whiteout in a nearer layer
// hides a file further down.
TEST(ApplyTest, CopyUpStaysInsideTheLowerLayersAndHonoursWhiteouts) {
  test::TempDir dir;
  const fs::path near = dir / "near";
  const fs::path far = dir / "far";
  const fs::path upper = dir / "upper";
  fs::create_directories(near);
  fs::create_directories(far);
  fs::create_directories(upper);
  { std::ofstream(far / "hidden") << "whited out above"; }
  ASSERT_EQ(::mknod((near / "hidden").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
  { std::ofstream(dir / "outside") << "host file"; }

  ApplyOptions options{.whiteouts = WhiteoutMode::kOverlay, .lower_dirs = {near, far}};
  auto hidden = apply_blob(LayerBuilder().hardlink("x", "hidden").tar(), kMediaTypeLayerTar, upper, options);
  EXPECT_EQ(hidden.status().code(), Code::kNotFound) << hidden.status().to_string();
  auto climbing =
      apply_blob(LayerBuilder().hardlink("y", "../outside").tar(), kMediaTypeLayerTar, upper, options);
  EXPECT_FALSE(climbing.ok());
  EXPECT_FALSE(fs::exists(upper / "outside"));
  EXPECT_FALSE(fs::exists(upper / "y"));
  EXPECT_EQ(test::read_file(dir / "outside"), "host file");
}

}  // namespace
}  // namespace berth::diff
