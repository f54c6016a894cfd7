// The pre-flight runner and its cache, with probes standing in for dlopen():
// each verdict, the order, a fresh child after each death, the time limit.
#include "preflight.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "preflight_cache.hpp"
#include "temp_dir.hpp"

namespace berth::host {
namespace {

using Kind = PreflightVerdict::Kind;
using std::chrono::milliseconds;

// A probe that does to the child what the file's name says.
Status act_on(const std::filesystem::path& file) {
  const auto name = file.filename().string();
  if (name == "segv") ::raise(SIGSEGV);
  if (name == "abort") std::abort();
  if (name == "exit3") std::exit(3);
  if (name == "quick-exit") _exit(4);
  if (name == "hang") {
    for (;;) ::pause();
  }
  if (name == "error") return invalid_argument("no such library");
  return {};
}

TEST(Preflight, EachFileGetsItsVerdictAndADeathOnlyCostsTheFileItHappenedOn) {
  PreflightRun run({"ok1", "segv", "error", "exit3", "abort", "quick-exit", "hang", "ok2"}, act_on,
                   milliseconds(1500));
  std::vector<PreflightVerdict> v;
  for (std::size_t i = 0; i < 8; ++i) v.push_back(run.verdict(i));
  EXPECT_EQ(v[0].kind, Kind::kPassed);
  EXPECT_EQ(v[1].kind, Kind::kCrashed);
  EXPECT_EQ(v[1].number, SIGSEGV);
  EXPECT_EQ(v[2].kind, Kind::kLoadError);
  EXPECT_EQ(v[2].text, "no such library");
  EXPECT_EQ(v[3].kind, Kind::kExited);
  EXPECT_EQ(v[3].number, 3);
  EXPECT_EQ(v[4].kind, Kind::kCrashed);
  EXPECT_EQ(v[4].number, SIGABRT);
  EXPECT_EQ(v[5].kind, Kind::kExited);
  EXPECT_EQ(v[5].number, 4);
  EXPECT_EQ(v[6].kind, Kind::kHung);
  EXPECT_EQ(v[6].number, 1500);
  EXPECT_EQ(v[7].kind, Kind::kPassed);
  // One child to start, one after each of the five that ended it.
  EXPECT_EQ(run.children(), 6);
}

TEST(Preflight, VerdictsSayWhatHappened) {
  EXPECT_EQ((PreflightVerdict{Kind::kCrashed, SIGSEGV, ""}.describe()),
            "crashed with signal 11 (Segmentation fault) when loaded in a pre-flight process");
  EXPECT_EQ((PreflightVerdict{Kind::kExited, 0, ""}.describe()),
            "ended the process with exit status 0 when loaded in a pre-flight process");
  EXPECT_EQ((PreflightVerdict{Kind::kHung, 5000, ""}.describe()),
            "was still loading after 5000 ms in a pre-flight process (killed)");
  EXPECT_TRUE((PreflightVerdict{Kind::kLoadError, 0, "x"}.safe()));
  EXPECT_FALSE((PreflightVerdict{Kind::kLoadError, 0, "x"}.lasting()));
  EXPECT_FALSE((PreflightVerdict{Kind::kHung, 1, ""}.safe()));
}

TEST(Preflight, NoFilesForkNothing) {
  PreflightRun run({}, act_on);
  EXPECT_EQ(run.children(), 0);
}

TEST(Preflight, AChildStillRunningIsKilledAndReapedWithTheRun) {
  test::TempDir dir;
  const auto pid_file = dir.path() / "pid";
  auto note_and_hang = [&](const std::filesystem::path&) -> Status {
    std::ofstream(pid_file) << ::getpid() << std::endl;
    for (;;) ::pause();
  };
  pid_t child = -1;
  {
    PreflightRun run({"x"}, note_and_hang, milliseconds(60000));
    EXPECT_EQ(run.children(), 1);
    for (int i = 0; i < 2000 && child <= 0; ++i) {
      std::ifstream(pid_file) >> child;
      ::usleep(1000);
    }
    ASSERT_GT(child, 0);
  }
  // Killed and reaped: not even a zombie is left.
  EXPECT_NE(::kill(child, 0), 0);
  EXPECT_EQ(errno, ESRCH);
}

class PreflightCacheTest : public ::testing::Test {
 protected:
  std::filesystem::path make_file(const std::string& name, const std::string& text) {
    const auto p = dir_.path() / name;
    std::ofstream(p) << text;
    return p;
  }
  static PluginFileKey key(const std::filesystem::path& file) { return *PluginFileKey::of(file); }
  test::TempDir dir_;
  const std::filesystem::path cache_file = dir_.path() / "preflight.toml";
};

TEST_F(PreflightCacheTest, KeepsLastingVerdictsAcrossInstances) {
  const auto a = make_file("a.so", "a");
  const auto b = make_file("b.so", "b");
  const auto c = make_file("c.so", "c");
  {
    PreflightCache cache(cache_file);
    cache.record(key(a), {Kind::kPassed, 0, ""});
    cache.record(key(b), {Kind::kHung, 5000, ""});
    cache.record(key(c), {Kind::kLoadError, 0, "missing libfoo.so"});
    ASSERT_TRUE(cache.save().ok());
  }
  PreflightCache cache(cache_file);
  EXPECT_EQ(cache.find(key(a))->kind, Kind::kPassed);
  EXPECT_EQ(cache.find(key(b))->kind, Kind::kHung);
  EXPECT_EQ(cache.find(key(b))->number, 5000);
  // A clean load error may depend on other files: asked again next time.
  EXPECT_FALSE(cache.find(key(c)));
  // Written by rename: no temporary file is left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_.path())) ++files;
  EXPECT_EQ(files, 4u);
}

TEST_F(PreflightCacheTest, AChangedFileIsAskedAgain) {
  const auto a = make_file("a.so", "a");
  PreflightCache cache(cache_file);
  cache.record(key(a), {Kind::kCrashed, SIGSEGV, ""});
  ASSERT_TRUE(cache.find(key(a)));
  // Same size, and the old mtime put back: the ctime still tells.
  auto before = key(a);
  make_file("a.so", "b");
  timespec times[2] = {{0, UTIME_OMIT}, {before.mtime_ns / 1'000'000'000, before.mtime_ns % 1'000'000'000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, a.c_str(), times, 0), 0);
  auto after = key(a);
  EXPECT_EQ(after.size, before.size);
  EXPECT_EQ(after.mtime_ns, before.mtime_ns);
  EXPECT_FALSE(cache.find(after));
  // Replaced by another file (new inode), as an upgrade does.
  make_file("new.so", "c");
  std::filesystem::rename(dir_.path() / "new.so", a);
  EXPECT_FALSE(cache.find(key(a)));
}

TEST_F(PreflightCacheTest, ADamagedOrForeignFileStartsEmpty) {
  const auto a = make_file("a.so", "a");
  {
    PreflightCache cache(cache_file);
    cache.record(key(a), {Kind::kPassed, 0, ""});
    ASSERT_TRUE(cache.save().ok());
  }
  ASSERT_TRUE(PreflightCache(cache_file).find(key(a)));
  const auto whole = std::filesystem::file_size(cache_file);

  // Cut short, as a crash in the middle of a write without rename would.
  std::filesystem::copy_file(cache_file, dir_.path() / "whole.toml");
  std::filesystem::resize_file(cache_file, whole - 20);
  EXPECT_FALSE(PreflightCache(cache_file).find(key(a)));
  std::filesystem::rename(dir_.path() / "whole.toml", cache_file);
  ASSERT_TRUE(PreflightCache(cache_file).find(key(a)));

  // Verdicts reached in another berthd binary do not count for this one.
  auto doc = toml::parse_file(cache_file.string());
  auto* ino = doc["berthd"]["ino"].as_integer();
  ASSERT_NE(ino, nullptr);
  *ino = ino->get() + 1;
  std::ofstream(cache_file) << doc;
  EXPECT_FALSE(PreflightCache(cache_file).find(key(a)));
}

TEST_F(PreflightCacheTest, ForgetsFilesNoLongerListed) {
  const auto a = make_file("a.so", "a");
  const auto b = make_file("b.so", "b");
  PreflightCache cache(cache_file);
  cache.record(key(a), {Kind::kPassed, 0, ""});
  cache.record(key(b), {Kind::kPassed, 0, ""});
  cache.keep_only({b.string()});
  EXPECT_FALSE(cache.find(key(a)));
  EXPECT_TRUE(cache.find(key(b)));
}

}  // namespace
}  // namespace berth::host
