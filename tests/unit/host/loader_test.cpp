// The loader against deliberately broken plugin files: each is refused with
// its path and what is wrong, and none can take the test process down.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <utility>

#include "plugin_loader.hpp"
#include "temp_dir.hpp"

namespace berth::host {
namespace {

const std::filesystem::path kFixtures = BERTH_FIXTURE_DIR;
const std::filesystem::path kHostile = BERTH_HOSTILE_FIXTURE_DIR;
// Short, so the hanging fixture costs little; still far above what loading a
// fixture takes.
constexpr std::chrono::milliseconds kLimit{2000};

std::string load_error(const std::filesystem::path& file,
                       LoaderOptions options = {.preflight_time_limit = kLimit}) {
  PluginLoader loader(std::move(options));
  auto r = loader.load(file);
  EXPECT_FALSE(r.ok()) << file;
  return r.ok() ? "" : r.status().message();
}

bool contains(const std::vector<std::string>& all, const std::string& part) {
  return std::any_of(all.begin(), all.end(),
                     [&](const std::string& s) { return s.find(part) != std::string::npos; });
}

TEST(Loader, ReadsDescriptorsAndDefaults) {
  PluginLoader loader;
  auto plugins = loader.load(kFixtures / "fixture-good.so");
  ASSERT_TRUE(plugins.ok()) << plugins.status().to_string();
  ASSERT_EQ(plugins->size(), 2u);
  EXPECT_EQ((*plugins)[0].key(), "io.berth.test.v1.good");
  EXPECT_EQ((*plugins)[0].defaults["retries"].value<int64_t>(), 3);
  EXPECT_EQ((*plugins)[1].key(), "io.berth.test.v1.skipper");
  EXPECT_EQ(loader.preflight_stats().children, 1);
  EXPECT_EQ(loader.preflight_stats().checked, 1);
}

TEST(Loader, RefusesAMissingFile) {
  auto msg = load_error(kFixtures / "does-not-exist.so");
  EXPECT_EQ(msg, "plugin file " + (kFixtures / "does-not-exist.so").string() + " does not exist");
}

// dlopen()'s own reason, not "Bad file descriptor" (what Boost.DLL says of
// every failed load).
TEST(Loader, ALibraryDlopenRefusesIsReportedWithDlopensReason) {
  auto msg = load_error(kFixtures / "fixture-unresolved.so");
  EXPECT_NE(msg.find("fixture-unresolved.so cannot be loaded: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("undefined symbol: berth_fixture_function_nobody_defines"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("Bad file descriptor"), std::string::npos) << msg;
}

TEST(Loader, RefusesAnEmptyFile) {
  EXPECT_EQ(load_error(kHostile / "empty.so"),
            "plugin file " + (kHostile / "empty.so").string() + " is empty");
}

TEST(Loader, RefusesATextFile) {
  EXPECT_EQ(load_error(kFixtures / "not-elf.so"),
            "plugin file " + (kFixtures / "not-elf.so").string() +
                " is not an ELF file (starts with \"this is a text f\")");
}

TEST(Loader, RefusesRandomBytes) {
  auto msg = load_error(kHostile / "random.so");
  EXPECT_NE(msg.find("random.so is not an ELF file (starts with \"\\x"), std::string::npos) << msg;
}

TEST(Loader, RefusesATruncatedCopyOfAGoodPluginBeforeLoadingIt) {
  // Before the checks, dlopen() of this file killed the process with SIGBUS.
  auto msg = load_error(kHostile / "truncated.so");
  const auto size = std::filesystem::file_size(kHostile / "truncated.so");
  EXPECT_NE(msg.find("truncated.so is truncated: section headers end at "), std::string::npos) << msg;
  EXPECT_NE(msg.find(" but the file has " + std::to_string(size) + " bytes"), std::string::npos) << msg;
}

TEST(Loader, RefusesALibraryWithoutEntryPoint) {
  auto msg = load_error(kFixtures / "fixture-no-entry.so");
  EXPECT_NE(msg.find("fixture-no-entry.so has no entry point berth_plugin_entry"), std::string::npos) << msg;
}

TEST(Loader, RefusesAnotherAbiVersionFromItsRecordBeforeLoadingIt) {
  PluginLoader loader;
  auto r = loader.load(kFixtures / "fixture-wrong-abi.so");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(
      r.status().message().find("was built for plugin ABI version 999 (SDK 9.9.9); berthd speaks plugin ABI "
                                "version " +
                                std::to_string(BERTH_PLUGIN_ABI_VERSION)),
      std::string::npos)
      << r.status().message();
  // Refused from the file alone: no process loaded it.
  EXPECT_EQ(loader.preflight_stats().children, 0);
}

TEST(Loader, RefusesATableThatContradictsItsRecord) {
  auto msg = load_error(kFixtures / "fixture-lying-table.so");
  EXPECT_NE(msg.find("its table is for plugin ABI version " + std::to_string(BERTH_PLUGIN_ABI_VERSION + 41)),
            std::string::npos)
      << msg;
}

TEST(Loader, RefusesAServicePluginBuiltAgainstAnotherGrpc) {
  PluginLoader loader;
  auto r = loader.load(kFixtures / "fixture-grpc-mismatch.so");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  const auto& msg = r.status().message();
  EXPECT_NE(msg.find("was built against gRPC 0.9.0-fixture and protobuf 2.0.0; berthd runs gRPC "),
            std::string::npos)
      << msg;
  EXPECT_EQ(loader.preflight_stats().children, 0);
}

// Each constructor below took the whole process down (or hung it) when
// loaded in it; now each is reported by the pre-flight, naming the file.
TEST(Loader, HostileConstructorsAreReportedAndTheProcessGoesOn) {
  const std::pair<const char*, const char*> kCases[] = {
      {"fixture-abort.so",
       "fixture-abort.so crashed with signal 6 (Aborted) when loaded in a pre-flight process"},
      {"fixture-segv.so", "fixture-segv.so crashed with signal 11 (Segmentation fault)"},
      {"fixture-exit.so", "fixture-exit.so ended the process with exit status 0"},
      {"fixture-hang.so", "fixture-hang.so was still loading after 2000 ms in a pre-flight process (killed)"},
  };
  for (const auto& [file, expected] : kCases) {
    auto msg = load_error(kHostile / file);
    EXPECT_NE(msg.find(expected), std::string::npos) << msg;
  }
}

TEST(Loader, AWarmCacheForksNothingAndRemembersTheHang) {
  test::TempDir dir;
  const LoaderOptions options{.preflight_cache = dir.path() / "preflight.toml",
                              .preflight_time_limit = kLimit};
  const std::vector<std::filesystem::path> dirs{kHostile};
  std::vector<std::string> cold_problems, warm_problems;
  {
    PluginLoader cold(options);
    cold.discover(dirs, cold_problems);
    EXPECT_EQ(cold.preflight_stats().checked, 4);  // abort, exit, hang, segv
    EXPECT_GE(cold.preflight_stats().children, 4);
    EXPECT_GE(cold.preflight_stats().waited, kLimit);
  }
  struct stat before {};
  ASSERT_EQ(::stat(options.preflight_cache.c_str(), &before), 0);
  PluginLoader warm(options);
  const auto t0 = std::chrono::steady_clock::now();
  warm.discover(dirs, warm_problems);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(warm.preflight_stats().children, 0);
  EXPECT_EQ(warm.preflight_stats().checked, 0);
  EXPECT_EQ(warm.preflight_stats().remembered, 4);
  EXPECT_LT(took, kLimit);  // the hang is not waited for again
  EXPECT_TRUE(contains(warm_problems, "fixture-hang.so was still loading after 2000 ms"));
  EXPECT_TRUE(contains(warm_problems, "until the file changes"));
  // Nothing changed, so nothing was written.
  struct stat after {};
  ASSERT_EQ(::stat(options.preflight_cache.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(cold_problems.size(), warm_problems.size());
}

TEST(Loader, DiscoverReportsEveryHostileFileAndLoadsTheRest) {
  test::TempDir dir;
  // A good plugin among the hostile ones must still load.
  std::filesystem::copy(kHostile, dir.path());
  std::filesystem::copy(kFixtures / "fixture-good.so", dir.path() / "zz-good.so");
  PluginLoader loader({.preflight_time_limit = kLimit});
  std::vector<std::string> problems;
  auto plugins = loader.discover({dir.path()}, problems);
  ASSERT_EQ(plugins.size(), 2u);
  EXPECT_EQ(plugins[0].key(), "io.berth.test.v1.good");
  for (const char* part : {"empty.so is empty", "random.so is not an ELF file", "text.so is not an ELF file",
                           "truncated.so is truncated", "fixture-abort.so crashed with signal 6",
                           "fixture-segv.so crashed with signal 11", "fixture-exit.so ended the process",
                           "fixture-hang.so was still loading"}) {
    EXPECT_TRUE(contains(problems, part)) << part;
  }
  EXPECT_EQ(problems.size(), 8u);
}

// The built-in directory's files come with berthd: they are checked as
// every file is, but not loaded a second time in a pre-flight child. Files
// in any other directory still are.
TEST(Loader, FilesInTheTrustedDirectoryAreCheckedButNotPreflighted) {
  test::TempDir dir;
  const auto builtin = dir.path() / "builtin";
  const auto third_party = dir.path() / "third-party";
  std::filesystem::create_directories(builtin);
  std::filesystem::create_directories(third_party);
  std::filesystem::copy(kFixtures / "fixture-good.so", builtin / "good.so");
  std::filesystem::copy(kHostile / "truncated.so", builtin / "truncated.so");
  std::filesystem::copy(kHostile / "fixture-segv.so", third_party / "segv.so");
  std::filesystem::copy(kFixtures / "fixture-throwing.so", third_party / "throwing.so");
  const LoaderOptions options{.preflight_cache = dir.path() / "preflight.toml",
                              .trusted_dir = builtin,
                              .preflight_time_limit = kLimit};
  PluginLoader loader(options);
  std::vector<std::string> problems;
  auto plugins = loader.discover({builtin, third_party}, problems);
  std::vector<std::string> keys;
  for (const auto& p : plugins) keys.push_back(p.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"io.berth.test.v1.good", "io.berth.test.v1.skipper",
                                            "io.berth.test.v1.throwing"}));
  EXPECT_TRUE(contains(problems, "builtin/truncated.so is truncated")) << "the ELF checks still run";
  EXPECT_TRUE(contains(problems, "third-party/segv.so crashed with signal 11"));
  EXPECT_EQ(problems.size(), 2u);
  EXPECT_EQ(loader.preflight_stats().trusted, 1);  // truncated.so never got that far
  EXPECT_EQ(loader.preflight_stats().checked, 2);
  // Only the third-party files' verdicts are kept.
  std::ifstream in(options.preflight_cache);
  const std::string kept{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_NE(kept.find("third-party/segv.so"), std::string::npos) << kept;
  EXPECT_NE(kept.find("third-party/throwing.so"), std::string::npos) << kept;
  EXPECT_EQ(kept.find("builtin/"), std::string::npos) << kept;

  // The same directory not trusted: its good file is pre-flighted too.
  PluginLoader untrusted({.preflight_time_limit = kLimit});
  std::vector<std::string> ignored;
  untrusted.discover({builtin}, ignored);
  EXPECT_EQ(untrusted.preflight_stats().trusted, 0);
  EXPECT_EQ(untrusted.preflight_stats().checked, 1);
}

TEST(Loader, DiscoverSaysWhatIsWrongWithAPluginDirectory) {
  test::TempDir dir;
  std::ofstream(dir.path() / "file") << "not a directory\n";
  std::filesystem::create_directory(dir.path() / "dir.so");
  std::filesystem::create_symlink(dir.path() / "nowhere.so", dir.path() / "dangling.so");
  PluginLoader loader;
  std::vector<std::string> problems;
  loader.discover({dir.path() / "file", dir.path() / "missing", dir.path() / "file" / "below", dir.path()},
                  problems);
  const std::string d = dir.path().string();
  EXPECT_TRUE(contains(problems, "plugin directory " + d + "/file is a regular file, not a directory"));
  EXPECT_TRUE(contains(problems, "plugin directory " + d + "/missing does not exist"));
  EXPECT_TRUE(contains(problems, "plugin directory " + d +
                                     "/file/below does not exist: a parent of it is not a "
                                     "directory"));
  EXPECT_TRUE(contains(problems, "plugin file " + d + "/dir.so is a directory, not a regular file"));
  EXPECT_TRUE(contains(problems,
                       "plugin file " + d + "/dangling.so is a symbolic link to a file that does not exist"));
  EXPECT_EQ(problems.size(), 5u);
}

TEST(Loader, DiscoverSkipsBadLibrariesAndReportsThem) {
  PluginLoader loader;
  std::vector<std::string> problems;
  auto plugins = loader.discover({kFixtures, kFixtures / "missing-dir"}, problems);
  std::vector<std::string> keys;
  for (const auto& p : plugins) keys.push_back(p.key());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "io.berth.test.v1.good"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "io.berth.test.v1.throwing"), keys.end());
  // not-elf, no-entry, wrong-abi, lying-table, grpc-mismatch, unresolved and
  // the missing directory.
  EXPECT_EQ(problems.size(), 7u);
}

}  // namespace
}  // namespace berth::host
