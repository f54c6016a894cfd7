// libs/files: the fd, atomic-file and directory helpers every store uses.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "files/atomic_file.hpp"
#include "files/dir_stream.hpp"
#include "files/dirs.hpp"
#include "files/fd_io.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::files {
namespace {

using test::TempDir;

TEST(Files, WriteAllThenReadFileRoundTrips) {
  TempDir dir;
  const auto path = dir / "f";
  auto fd = open_file(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_OK(fd.status());
  const std::string data(300'000, 'x');
  ASSERT_OK(write_all(fd->get(), data, path));
  auto back = read_file(path);
  ASSERT_OK(back.status());
  EXPECT_EQ(*back, data);
}

TEST(Files, OpenNamesThePathAndKeepsErrno) {
  TempDir dir;
  auto fd = open_file(dir / "absent", O_RDONLY);
  EXPECT_CODE(fd, Code::kNotFound);
  EXPECT_NE(fd.status().message().find((dir / "absent").string()), std::string::npos)
      << fd.status().message();
}

TEST(Files, OpenedFdsAreCloseOnExec) {
  TempDir dir;
  auto fd = open_file(dir.path(), O_RDONLY | O_DIRECTORY);
  ASSERT_OK(fd.status());
  EXPECT_TRUE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC);
}

TEST(Files, ReadFileRefusesMoreThanItsBound) {
  TempDir dir;
  ASSERT_OK(replace_file(dir / "big", std::string(10'000, 'a'), Durability::kAtomicOnly));
  EXPECT_CODE(read_file(dir / "big", 4096), Code::kOutOfRange);
  EXPECT_OK(read_file(dir / "big", 10'000).status());
}

TEST(Files, PwriteAllAndPreadFullAtOffsets) {
  TempDir dir;
  const auto path = dir / "f";
  auto fd = open_file(path, O_RDWR | O_CREAT, 0600);
  ASSERT_OK(fd.status());
  std::size_t written = 0;
  ASSERT_OK(pwrite_all(fd->get(), "world", 6, path, &written));
  EXPECT_EQ(written, 5u);
  ASSERT_OK(pwrite_all(fd->get(), "hello ", 0, path));
  char buf[32] = {};
  auto n = pread_full(fd->get(), buf, sizeof buf, 0, path);
  ASSERT_OK(n.status());
  EXPECT_EQ(std::string(buf, *n), "hello world");  // short only at the end of the file
  n = pread_full(fd->get(), buf, 3, 6, path);
  ASSERT_OK(n.status());
  EXPECT_EQ(std::string(buf, *n), "wor");
}

TEST(Files, PwriteAllReportsWhatReachedTheFileOnFailure) {
  TempDir dir;
  auto fd = open_file(dir / "ro", O_RDONLY | O_CREAT, 0600);
  ASSERT_OK(fd.status());
  std::size_t written = 99;
  EXPECT_CODE(pwrite_all(fd->get(), "data", 0, dir / "ro", &written), Code::kInternal);
  EXPECT_EQ(written, 0u);
}

TEST(Files, PwritevAllWritesPiecesInOrderPastIovMax) {
  TempDir dir;
  const auto path = dir / "v";
  auto fd = open_file(path, O_RDWR | O_CREAT, 0600);
  ASSERT_OK(fd.status());
  // More pieces than one pwritev may take (IOV_MAX, 1024 on Linux), with
  // empty ones among them.
  std::vector<std::string> owned;
  std::string expected;
  for (int i = 0; i < 2500; ++i) {
    owned.push_back(i % 5 == 0
                        ? std::string()
                        : std::string(static_cast<std::size_t>(i % 7 + 1), static_cast<char>('a' + i % 26)));
    expected += owned.back();
  }
  std::vector<std::string_view> pieces(owned.begin(), owned.end());
  std::size_t written = 0;
  ASSERT_OK(pwritev_all(fd->get(), pieces, 3, path, &written));
  EXPECT_EQ(written, expected.size());
  std::string back(expected.size(), '\0');
  auto n = pread_full(fd->get(), back.data(), back.size(), 3, path);
  ASSERT_OK(n.status());
  EXPECT_EQ(back, expected);

  auto ro = open_file(dir / "ro", O_RDONLY | O_CREAT, 0600);
  ASSERT_OK(ro.status());
  written = 99;
  EXPECT_CODE(pwritev_all(ro->get(), pieces, 0, dir / "ro", &written), Code::kInternal);
  EXPECT_EQ(written, 0u);
}

TEST(Files, ReadFullReadsAPipeToItsEnd) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  UniqueFd r(p[0]);
  {
    UniqueFd w(p[1]);
    ASSERT_OK(write_all(w.get(), "abc", "pipe"));
  }
  char buf[8];
  auto n = read_full(r.get(), buf, sizeof buf, "pipe");
  ASSERT_OK(n.status());
  EXPECT_EQ(std::string(buf, *n), "abc");
}

TEST(Files, ReplaceFileLeavesNoTemporaryAndSetsTheMode) {
  TempDir dir;
  const auto path = dir / "record";
  ASSERT_OK(replace_file(path, "one", Durability::kDurable, 0600));
  ASSERT_OK(replace_file(path, "two", Durability::kAtomicOnly, 0600));
  EXPECT_EQ(*read_file(path), "two");
  EXPECT_FALSE(std::filesystem::exists(dir / "record.tmp"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(Files, ReplaceFileFailureKeepsTheOldContent) {
  TempDir dir;
  const auto path = dir / "record";
  ASSERT_OK(replace_file(path, "old", Durability::kDurable));
  // A directory where the temporary file would go makes the write fail.
  ASSERT_OK(make_dir(dir / "record.tmp", 0700));
  EXPECT_FALSE(replace_file(path, "new", Durability::kDurable).ok());
  EXPECT_EQ(*read_file(path), "old");
}

TEST(Files, MakeDirAndRemoveTree) {
  TempDir dir;
  EXPECT_OK(make_dir(dir / "a", 0700));
  EXPECT_CODE(make_dir(dir / "a", 0700), Code::kAlreadyExists);
  EXPECT_OK(make_dir(dir / "a", 0700, /*exist_ok=*/true));
  ASSERT_OK(replace_file(dir / "file", "x", Durability::kAtomicOnly));
  EXPECT_CODE(make_dir(dir / "file", 0700, /*exist_ok=*/true), Code::kAlreadyExists);
  EXPECT_OK(make_dirs(dir / "a" / "b" / "c"));
  EXPECT_OK(fsync_dir(dir / "a" / "b"));
  EXPECT_OK(remove_tree(dir / "a"));
  EXPECT_FALSE(std::filesystem::exists(dir / "a"));
  EXPECT_OK(remove_tree(dir / "a"));  // absent is fine
}

TEST(Files, RemoveTreeDoesNotFollowSymlinks) {
  TempDir dir;
  ASSERT_OK(make_dirs(dir / "keep"));
  ASSERT_OK(replace_file(dir / "keep" / "precious", "x", Durability::kAtomicOnly));
  ASSERT_OK(make_dirs(dir / "gone"));
  std::filesystem::create_directory_symlink(dir / "keep", dir / "gone" / "link");
  EXPECT_OK(remove_tree(dir / "gone"));
  EXPECT_TRUE(std::filesystem::exists(dir / "keep" / "precious"));
}

TEST(Files, DirStreamListsEntriesButDotAndDotDot) {
  TempDir dir;
  for (const char* name : {"a", "b", "c"}) ASSERT_OK(replace_file(dir / name, "", Durability::kAtomicOnly));
  auto stream = DirStream::open(dir.path());
  ASSERT_OK(stream.status());
  std::set<std::string> names;
  for (;;) {
    auto e = stream->next();
    ASSERT_OK(e.status());
    if (*e == nullptr) break;
    names.insert((*e)->d_name);
  }
  EXPECT_EQ(names, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_CODE(DirStream::open(dir / "absent"), Code::kNotFound);
}

}  // namespace
}  // namespace berth::files
