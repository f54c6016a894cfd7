// berthd itself: its command line, config errors, plugin directories (broken
// and hostile plugin files), required and disabled plugins, the socket and
// the process's settings. Each test starts its own daemon.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "../support/temp_dir.hpp"
#include "harness.hpp"

namespace berth::test {
namespace {

// Daemon-level behaviour that needs its own berthd command lines.
class BerthdTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& name, const std::string& text) {
    auto p = dir_.path() / name;
    std::ofstream(p) << text;
    return p;
  }
  TempDir dir_;
};

TEST_F(BerthdTest, ConfigSyntaxErrorNamesFileLineColumn) {
  auto cfg = write("bad.toml", "version = 2\n[grpc]\naddress = \"/tmp/x.sock\n");
  auto r = run({BERTHD_PATH, "--config", cfg.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find(cfg.string() + ":3:"), std::string::npos) << r.output;
}

TEST_F(BerthdTest, ConfigWrongTypeNamesKey) {
  auto cfg = write("bad.toml", "version = 2\noom_score = \"low\"\n");
  auto r = run({BERTHD_PATH, "--config", cfg.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find(cfg.string() + ":2:13: key 'oom_score' must be an integer"), std::string::npos)
      << r.output;
}

TEST_F(BerthdTest, ConfigDefaultListsEveryPluginsDefaults) {
  auto r = run({BERTHD_PATH, "config", "default"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("version = 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[plugins.\"io.containerd.metadata.v1.rocksdb\"]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sync_writes = true"), std::string::npos) << r.output;
}

TEST_F(BerthdTest, ConfigDumpShowsOverridesAndWarnsUnknownKeys) {
  auto cfg = write("c.toml",
                   "version = 2\nroot = \"/srv/r\"\nfrobnicate = 1\n"
                   "[plugins.\"io.containerd.metadata.v1.rocksdb\"]\nsync_writes = false\n");
  auto r = run({BERTHD_PATH, "--config", cfg.string(), "--state", "/srv/s", "config", "dump"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("root = \"/srv/r\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("state = \"/srv/s\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sync_writes = false"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(cfg.string() + ":3:1: unknown key 'frobnicate'"), std::string::npos) << r.output;
}

TEST_F(BerthdTest, BrokenPluginsShowAsErrorsAndTheDaemonRuns) {
  auto cfg = write("c.toml", "version = 2\nplugin_dirs = [\"" BERTH_FIXTURE_DIR "\"]\n");
  Berthd d(BERTHD_PATH, dir_.path());
  std::string why;
  ASSERT_TRUE(d.start({"--config", cfg.string()}, why)) << why;
  auto r = d.ctr({"plugins", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("io.berth.test.v1 +good +- +ok"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("io.berth.test.v1 +skipper +- +skip"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("io.berth.test.v1 +throwing +- +error"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("io.berth.cycle-a.v1 +a +- +error"))) << r.output;
  auto detail = d.ctr({"plugins", "ls", "-d", "id==throwing"});
  EXPECT_NE(detail.output.find("fixture init exploded"), std::string::npos) << detail.output;
  const auto log = d.log();
  EXPECT_NE(log.find("not-elf.so"), std::string::npos) << log;
  // fixture-wrong-abi.so claims ABI 999 whatever the current one is.
  EXPECT_NE(log.find("plugin ABI version 999"), std::string::npos) << log;
}

TEST_F(BerthdTest, AHostilePluginDirectoryCannotTakeTheDaemonDown) {
  // Before the checks and the pre-flight, berthd died of SIGBUS (the
  // truncated copy), SIGABRT or SIGSEGV, exited 0 without a word, or never
  // finished starting, and logged random bytes, an empty and a text file as
  // "Bad file descriptor" and the regular file as "does not exist".
  const auto not_a_dir = write("plugins.conf", "not a directory\n");
  auto cfg = write("c.toml", "version = 2\nplugin_dirs = [\"" BERTH_HOSTILE_FIXTURE_DIR "\", \"" +
                                 not_a_dir.string() + "\"]\n");
  Berthd d(BERTHD_PATH, dir_.path());
  std::string why;
  // The hanging constructor costs its 5 s time limit on the first start.
  ASSERT_TRUE(d.start({"--config", cfg.string()}, why, std::chrono::seconds(60))) << why;
  auto r = d.ctr({"plugins", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("io.containerd.metadata.v1 +rocksdb +- +ok")))
      << r.output;
  const std::string hostile = BERTH_HOSTILE_FIXTURE_DIR;
  const auto log = d.log();
  for (const std::string& line : std::vector<std::string>{
           "empty.so is empty", "random.so is not an ELF file (starts with \"",
           "text.so is not an ELF file (starts with \"# a shell script\"",
           "truncated.so is truncated: section headers end at",
           "fixture-abort.so crashed with signal 6 (Aborted) when loaded in a pre-flight process; not loaded",
           "fixture-segv.so crashed with signal 11 (Segmentation fault)",
           "fixture-exit.so ended the process with exit status 0",
           "fixture-hang.so was still loading after 5000 ms",
           "plugin directory " + not_a_dir.string() + " is a regular file, not a directory"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
  }
  // Each library berthd loads is named before its dlopen().
  EXPECT_TRUE(std::regex_search(log, std::regex("loading .*/lib/berth/plugins/metadata-rocksdb.so"))) << log;
  EXPECT_EQ(log.find("loading " + hostile), std::string::npos) << log;

  // A warm start forks nothing and waits for nothing: the verdicts are kept
  // in the state directory.
  ASSERT_EQ(d.stop(), 0);
  const auto first_log_size = log.size();
  ASSERT_TRUE(d.start({"--config", cfg.string()}, why)) << why;
  const auto warm = d.log().substr(first_log_size);
  EXPECT_EQ(warm.find("pre-flight: "), std::string::npos) << warm;
  EXPECT_NE(
      warm.find(
          "fixture-hang.so was still loading after 5000 ms in a pre-flight process (killed); not loaded "
          "(verdict kept in " +
          d.state().string() + "/plugin-preflight.toml until the file changes)"),
      std::string::npos)
      << warm;
  EXPECT_EQ(d.ctr({"version"}).exit_code, 0);
}

TEST_F(BerthdTest, RequiredPluginFailureExitsNonZeroNamingIt) {
  auto cfg = write("c.toml", "version = 2\nplugin_dirs = [\"" BERTH_FIXTURE_DIR
                             "\"]\nrequired_plugins = [\"io.berth.test.v1.failing\"]\n");
  Berthd d(BERTHD_PATH, dir_.path());
  std::string why;
  EXPECT_FALSE(d.start({"--config", cfg.string()}, why));
  EXPECT_NE(why.find("exited with 1"), std::string::npos) << why;
  EXPECT_NE(why.find("required plugin io.berth.test.v1.failing did not load"), std::string::npos) << why;
}

TEST_F(BerthdTest, DisabledPluginIsNotListed) {
  auto cfg = write("c.toml", "version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.healthcheck\"]\n");
  Berthd d(BERTHD_PATH, dir_.path());
  std::string why;
  ASSERT_TRUE(d.start({"--config", cfg.string()}, why)) << why;
  auto r = d.ctr({"plugins", "ls"});
  EXPECT_EQ(r.output.find("healthcheck"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("introspection"), std::string::npos) << r.output;
}

TEST_F(BerthdTest, OomScoreAndSocketOwnerAreApplied) {
  auto cfg = write("c.toml", "version = 2\noom_score = 321\n[grpc]\nuid = 0\ngid = 4\n");
  Berthd d(BERTHD_PATH, dir_.path());
  std::string why;
  ASSERT_TRUE(d.start({"--config", cfg.string()}, why)) << why;
  std::ifstream adj("/proc/" + std::to_string(d.pid()) + "/oom_score_adj");
  int score = 0;
  adj >> score;
  EXPECT_EQ(score, 321);
  struct stat st {};
  ASSERT_EQ(::stat(d.address().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 4u);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(BerthdTest, SecondDaemonOnTheSameSocketIsRefused) {
  Berthd first(BERTHD_PATH, dir_.path());
  std::string why;
  ASSERT_TRUE(first.start({}, why)) << why;
  auto r = run({BERTHD_PATH, "--root", (dir_.path() / "root2").string(), "--state",
                (dir_.path() / "state2").string(), "--address", first.address()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("another server is listening"), std::string::npos) << r.output;
  EXPECT_EQ(first.ctr({"version"}).exit_code, 0);
}

}  // namespace
}  // namespace berth::test
