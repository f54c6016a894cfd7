// What only the native snapshotter does: copy a parent faithfully.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "snapshotter_fixture.hpp"

namespace berth::snapshot::test {
namespace {

class NativeSnapshotter : public SnapshotterTest<Native> {};

struct stat lstat_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

std::string xattr_of(const std::filesystem::path& p, const char* name) {
  char buf[256];
  const ssize_t n = ::lgetxattr(p.c_str(), name, buf, sizeof buf);
  if (n < 0) return "<none>";
  return std::string(buf, static_cast<std::size_t>(n));
}

void set_times(const std::filesystem::path& p, time_t sec, long nsec) {
  const struct timespec t[2] = {{sec - 100, nsec}, {sec, nsec}};
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW), 0) << p;
}

TEST_F(NativeSnapshotter, CopyPreservesEverythingOfTheParent) {
  auto mounts = sn().prepare("a", "", {});
  ASSERT_OK(mounts.status());
  {
    auto m = mount(*mounts);
    ASSERT_OK(m.status());
    const auto& r = m->path();
    std::filesystem::create_directories(r / "bin");
    std::filesystem::create_directories(r / "tmp");
    ASSERT_OK(write_file(r / "bin/tool", "#!/bin/sh\n"));
    ASSERT_EQ(::chown((r / "bin/tool").c_str(), 1234, 5678), 0);
    ASSERT_EQ(::chmod((r / "bin/tool").c_str(), 04755), 0);
    ASSERT_EQ(::chmod((r / "tmp").c_str(), 01777), 0);
    ASSERT_EQ(::chown((r / "tmp").c_str(), 42, 43), 0);
    ASSERT_EQ(::link((r / "bin/tool").c_str(), (r / "tool-link").c_str()), 0);
    ASSERT_EQ(::link((r / "bin/tool").c_str(), (r / "tmp/tool-link2").c_str()), 0);
    ASSERT_EQ(::symlink("bin/tool", (r / "rel-link").c_str()), 0);
    ASSERT_EQ(::symlink("/nowhere/at/all", (r / "dangling").c_str()), 0);
    ASSERT_EQ(::lchown((r / "dangling").c_str(), 7, 8), 0);
    ASSERT_EQ(::mknod((r / "null").c_str(), S_IFCHR | 0666, ::makedev(1, 3)), 0);
    ASSERT_EQ(::chmod((r / "null").c_str(), 0666), 0);  // past the umask
    ASSERT_EQ(::mknod((r / "blk").c_str(), S_IFBLK | 0600, ::makedev(7, 0)), 0);
    ASSERT_EQ(::mkfifo((r / "fifo").c_str(), 0640), 0);
    ASSERT_EQ(::mknod((r / "sock").c_str(), S_IFSOCK | 0755, 0), 0);
    for (const char* name : {"user.note", "trusted.overlay.opaque", "security.berth"}) {
      const std::string value = std::string("value of ") + name;
      ASSERT_EQ(::lsetxattr((r / "bin/tool").c_str(), name, value.data(), value.size(), 0), 0) << name;
    }
    ASSERT_EQ(::lsetxattr((r / "tmp").c_str(), "user.dir", "d", 1, 0), 0);
    set_times(r / "bin/tool", 1'000'000'000, 123456789);
    set_times(r / "dangling", 1'100'000'000, 5);
    set_times(r / "fifo", 1'200'000'000, 6);
    set_times(r / "tmp", 1'300'000'000, 7);
    set_times(r / "bin", 1'400'000'000, 8);
    ASSERT_EQ(::chmod(r.c_str(), 0750), 0);
    set_times(r, 1'500'000'000, 9);
  }
  ASSERT_OK(sn().commit("base", "a", {}));
  auto child = sn().view("copy", "base", {});
  ASSERT_OK(child.status());
  auto m = mount(*child);
  ASSERT_OK(m.status());
  const auto& r = m->path();

  const auto tool = lstat_of(r / "bin/tool");
  EXPECT_EQ(tool.st_mode, S_IFREG | 04755);
  EXPECT_EQ(tool.st_uid, 1234u);
  EXPECT_EQ(tool.st_gid, 5678u);
  EXPECT_EQ(tool.st_nlink, 3u);
  EXPECT_EQ(tool.st_mtim.tv_sec, 1'000'000'000);
  EXPECT_EQ(tool.st_mtim.tv_nsec, 123456789);
  EXPECT_EQ(tool.st_atim.tv_sec, 1'000'000'000 - 100);
  EXPECT_EQ(read_file(r / "bin/tool"), "#!/bin/sh\n");
  EXPECT_EQ(lstat_of(r / "tool-link").st_ino, tool.st_ino);
  EXPECT_EQ(lstat_of(r / "tmp/tool-link2").st_ino, tool.st_ino);
  for (const char* name : {"user.note", "trusted.overlay.opaque", "security.berth"}) {
    EXPECT_EQ(xattr_of(r / "bin/tool", name), std::string("value of ") + name) << name;
  }

  const auto tmp = lstat_of(r / "tmp");
  EXPECT_EQ(tmp.st_mode, S_IFDIR | 01777);
  EXPECT_EQ(tmp.st_uid, 42u);
  EXPECT_EQ(tmp.st_gid, 43u);
  EXPECT_EQ(tmp.st_mtim.tv_sec, 1'300'000'000);
  EXPECT_EQ(xattr_of(r / "tmp", "user.dir"), "d");
  EXPECT_EQ(lstat_of(r / "bin").st_mtim.tv_sec, 1'400'000'000);
  const auto root = lstat_of(r);
  EXPECT_EQ(root.st_mode, S_IFDIR | 0750);
  EXPECT_EQ(root.st_mtim.tv_sec, 1'500'000'000);
  EXPECT_EQ(root.st_mtim.tv_nsec, 9);

  EXPECT_EQ(std::filesystem::read_symlink(r / "rel-link"), "bin/tool");
  EXPECT_EQ(std::filesystem::read_symlink(r / "dangling"), "/nowhere/at/all");
  const auto dangling = lstat_of(r / "dangling");
  EXPECT_EQ(dangling.st_uid, 7u);
  EXPECT_EQ(dangling.st_gid, 8u);
  EXPECT_EQ(dangling.st_mtim.tv_sec, 1'100'000'000);

  const auto null = lstat_of(r / "null");
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_mode & 07777, 0666u);
  EXPECT_EQ(null.st_rdev, ::makedev(1, 3));
  const auto blk = lstat_of(r / "blk");
  EXPECT_TRUE(S_ISBLK(blk.st_mode));
  EXPECT_EQ(blk.st_rdev, ::makedev(7, 0));
  const auto fifo = lstat_of(r / "fifo");
  EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
  EXPECT_EQ(fifo.st_mode & 07777, 0640u);
  EXPECT_EQ(fifo.st_mtim.tv_sec, 1'200'000'000);
  EXPECT_TRUE(S_ISSOCK(lstat_of(r / "sock").st_mode));
}

TEST_F(NativeSnapshotter, MountsAreOneBindMount) {
  auto active = sn().prepare("a", "", {});
  ASSERT_OK(active.status());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].type, "bind");
  EXPECT_EQ((*active)[0].options, (std::vector<std::string>{"rbind", "rw"}));
  EXPECT_TRUE(std::filesystem::is_directory((*active)[0].source));
  EXPECT_EQ(std::filesystem::path((*active)[0].source).parent_path(), root_ / "snapshots");
  ASSERT_OK(sn().commit("c", "a", {}));
  auto view = sn().view("v", "c", {});
  ASSERT_OK(view.status());
  EXPECT_EQ((*view)[0].options, (std::vector<std::string>{"rbind", "ro"}));
  EXPECT_NE((*view)[0].source, (*active)[0].source);
}

TEST_F(NativeSnapshotter, RemoveDeletesTheDirectoryAtOnce) {
  auto active = sn().prepare("a", "", {});
  ASSERT_OK(active.status());
  ASSERT_OK(sn().remove("a"));
  EXPECT_FALSE(std::filesystem::exists((*active)[0].source));
}

TEST_F(NativeSnapshotter, RemoveAllDeletesEachDirectoryAtOnce) {
  ASSERT_OK(layer("base", "", {{"f", "x"}}));
  auto child = sn().prepare("child", "base", {});
  ASSERT_OK(child.status());
  const std::filesystem::path child_dir = (*child)[0].source;
  ASSERT_TRUE(std::filesystem::exists(child_dir / "f"));
  auto done = sn().remove_all({"child", "base"});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_OK(done[0]);
  EXPECT_OK(done[1]);
  EXPECT_FALSE(std::filesystem::exists(child_dir));
  EXPECT_TRUE(std::filesystem::is_empty(root_ / "snapshots"));
}

}  // namespace
}  // namespace berth::snapshot::test
