// berthd driven by Debian's real `ctr`, the reference containerd client.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

class CtrTest : public CtrFixture {
 protected:
  static std::string uuid_of(const std::string& version_output) {
    std::smatch m;
    std::regex re("UUID: ([0-9a-f-]{36})");
    return std::regex_search(version_output, m, re) ? m[1].str() : "";
  }
};

TEST_F(CtrTest, VersionShowsTheServer) {
  auto out = ok({"version"});
  EXPECT_NE(out.find("Server:"), std::string::npos) << out;
  EXPECT_NE(out.find("Version:  v" BERTH_VERSION), std::string::npos) << out;
  EXPECT_FALSE(uuid_of(out).empty()) << out;
}

TEST_F(CtrTest, PluginsLsListsEveryPluginWithItsStatus) {
  auto out = ok({"plugins", "ls"});
  for (const char* row :
       {"io.containerd.grpc.v1 +version +- +ok", "io.containerd.grpc.v1 +introspection +- +ok",
        "io.containerd.grpc.v1 +namespaces +- +ok", "io.containerd.grpc.v1 +healthcheck +- +ok",
        "io.containerd.metadata.v1 +rocksdb +- +ok",
        // One service per kind of metadata record, under containerd's ids.
        "io.containerd.service.v1 +namespaces-service +- +ok",
        "io.containerd.service.v1 +leases-service +- +ok", "io.containerd.service.v1 +content-service +- +ok",
        "io.containerd.service.v1 +snapshots-service +- +ok"}) {
    EXPECT_TRUE(std::regex_search(out, std::regex(row))) << row << "\n" << out;
  }
}

TEST_F(CtrTest, PluginsLsFiltersAndDetails) {
  auto out = ok({"plugins", "ls", "-d", "id==rocksdb"});
  EXPECT_NE(out.find("io.containerd.metadata.v1"), std::string::npos) << out;
  EXPECT_NE(out.find("meta.db"), std::string::npos) << out;  // the export
  EXPECT_EQ(out.find("introspection"), std::string::npos) << out;
  auto bad = daemon_.ctr({"plugins", "ls", "id=="});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("invalid argument"), std::string::npos) << bad.output;
}

TEST_F(CtrTest, NamespacesCreateListLabelRemove) {
  ok({"namespaces", "create", "alpha", "team=a"});
  ok({"namespaces", "create", "beta"});
  auto dup = daemon_.ctr({"namespaces", "create", "alpha"});
  EXPECT_NE(dup.exit_code, 0);
  EXPECT_NE(dup.output.find("already exists"), std::string::npos) << dup.output;

  ok({"namespaces", "label", "beta", "env=prod", "tier=1"});
  ok({"namespaces", "label", "alpha", "team="});  // empty value removes
  auto ls = ok({"namespaces", "ls"});
  EXPECT_TRUE(std::regex_search(ls, std::regex("alpha +\n"))) << ls;
  EXPECT_TRUE(std::regex_search(ls, std::regex("beta +env=prod,tier=1"))) << ls;

  auto q = ok({"namespaces", "ls", "-q"});
  EXPECT_EQ(q, "alpha\nbeta\n");

  ok({"namespaces", "rm", "alpha"});
  // ctr treats NotFound on rm as done; berth's own CLI reports it.
  ok({"namespaces", "rm", "alpha"});
  EXPECT_EQ(ok({"namespaces", "ls", "-q"}), "beta\n");

  // Labelling a namespace that does not exist creates it, as containerd does.
  ok({"namespaces", "label", "gamma", "k=v"});
  EXPECT_TRUE(std::regex_search(ok({"namespaces", "ls"}), std::regex("gamma +k=v")));
}

TEST_F(CtrTest, BadNamespaceNamesAreRefused) {
  for (const char* bad : {"-lead", "a..b", "has/slash"}) {
    auto r = daemon_.ctr({"namespaces", "create", "--", bad});
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.output.find("invalid argument"), std::string::npos) << r.output;
  }
  auto big = daemon_.ctr({"namespaces", "create", "biglabel", "k=" + std::string(5000, 'v')});
  EXPECT_NE(big.exit_code, 0);
  EXPECT_NE(big.output.find("maximum size"), std::string::npos) << big.output;
  EXPECT_EQ(ok({"namespaces", "ls", "-q"}), "");
}

TEST_F(CtrTest, NamespacesAndUuidSurviveRestart) {
  const auto uuid = uuid_of(ok({"version"}));
  ok({"namespaces", "create", "kept", "a=1"});
  restart(SIGTERM);
  EXPECT_TRUE(std::regex_search(ok({"namespaces", "ls"}), std::regex("kept +a=1")));
  EXPECT_EQ(uuid_of(ok({"version"})), uuid);
}

TEST_F(CtrTest, CommittedNamespacesSurviveKill9) {
  ok({"namespaces", "create", "durable"});
  ok({"namespaces", "label", "durable", "x=y"});
  restart(SIGKILL);
  EXPECT_TRUE(std::regex_search(ok({"namespaces", "ls"}), std::regex("durable +x=y")));
}

TEST_F(CtrTest, SigtermStopsCleanly) {
  EXPECT_EQ(daemon_.stop(SIGTERM), 0);
  EXPECT_FALSE(std::filesystem::exists(daemon_.address()));
  EXPECT_NE(daemon_.log().find("berthd stopped"), std::string::npos);
  std::string why;
  ASSERT_TRUE(daemon_.start({}, why)) << why;
}

// Berth's own CLI against berthd (cli_against_containerd.sh runs it against containerd).
TEST_F(CtrTest, BerthCliDrivesBerthd) {
  auto berth = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{BERTH_CLI_PATH, "--address", daemon_.address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  };
  auto v = berth({"version"});
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("v" BERTH_VERSION), std::string::npos) << v.output;
  EXPECT_EQ(berth({"namespaces", "create", "cli", "owner=me"}).exit_code, 0);
  auto json = berth({"--format", "json", "namespaces", "ls"});
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_NE(json.output.find("\"owner\": \"me\""), std::string::npos) << json.output;
  auto plugins = berth({"plugins", "ls"});
  EXPECT_TRUE(std::regex_search(plugins.output, std::regex("io.containerd.metadata.v1 +rocksdb +- +ok")))
      << plugins.output;
  auto rm = berth({"namespaces", "rm", "nope"});
  EXPECT_EQ(rm.exit_code, 1) << rm.output;
  EXPECT_NE(rm.output.find("NotFound"), std::string::npos) << rm.output;
}

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
