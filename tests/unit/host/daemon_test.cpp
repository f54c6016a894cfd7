// The daemon's plugin lifecycle against the fixture plugins: states, errors,
// required and disabled plugins, per-plugin directories, config overlay.
#include "daemon.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "temp_dir.hpp"

namespace berth::host {
namespace {

const std::filesystem::path kFixtures = BERTH_FIXTURE_DIR;
const std::filesystem::path kHostile = BERTH_HOSTILE_FIXTURE_DIR;

class DaemonTest : public ::testing::Test {
 protected:
  DaemonConfig config() {
    DaemonConfig c;
    c.root = (tmp_ / "root").string();
    c.state = (tmp_ / "state").string();
    c.grpc.address = (tmp_ / "berth.sock").string();
    return c;
  }
  // A plugin directory holding copies of these fixture files.
  std::filesystem::path plugin_dir(const std::vector<std::filesystem::path>& files,
                                   const std::string& name = "plugins") {
    const auto dir = tmp_ / name;
    std::filesystem::create_directories(dir);
    for (const auto& f : files) std::filesystem::copy_file(f, dir / f.filename());
    return dir;
  }
  static const PluginInfo* find(const std::vector<PluginInfo>& all, const std::string& key) {
    for (const auto& p : all) {
      if (p.key() == key) return &p;
    }
    return nullptr;
  }
  test::TempDir tmp_;
};

TEST_F(DaemonTest, BrokenPluginsNeverTakeTheDaemonDown) {
  Daemon d(config(), kFixtures);
  ASSERT_TRUE(d.start().ok());
  auto all = d.registry().list();

  const auto* good = find(all, "io.berth.test.v1.good");
  ASSERT_NE(good, nullptr);
  EXPECT_EQ(good->state, PluginState::kOk);
  EXPECT_EQ(good->exports.at("greeting"), "hi");

  const auto* skipper = find(all, "io.berth.test.v1.skipper");
  ASSERT_NE(skipper, nullptr);
  EXPECT_EQ(skipper->state, PluginState::kSkip);

  const auto* throwing = find(all, "io.berth.test.v1.throwing");
  ASSERT_NE(throwing, nullptr);
  EXPECT_EQ(throwing->state, PluginState::kError);
  EXPECT_NE(throwing->error.message().find("fixture init exploded"), std::string::npos);

  const auto* failing = find(all, "io.berth.test.v1.failing");
  ASSERT_NE(failing, nullptr);
  EXPECT_EQ(failing->error.code(), Code::kUnavailable);

  const auto* a = find(all, "io.berth.cycle-a.v1.a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->state, PluginState::kError);
  EXPECT_NE(a->error.message().find("dependency cycle"), std::string::npos);

  struct stat st {};
  ASSERT_EQ(::stat((tmp_ / "root/io.berth.test.v1.good").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((tmp_ / "state/io.berth.test.v1.good").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((tmp_ / "berth.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  EXPECT_TRUE(d.shutdown().ok());
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "berth.sock"));
}

TEST_F(DaemonTest, RequiredPluginThatFailsStopsTheDaemon) {
  auto c = config();
  c.required_plugins = {"io.berth.test.v1.throwing"};
  Daemon d(std::move(c), kFixtures);
  Status s = d.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("io.berth.test.v1.throwing"), std::string::npos) << s.message();
}

TEST_F(DaemonTest, RequiredPluginThatIsMissingStopsTheDaemon) {
  auto c = config();
  c.required_plugins = {"io.berth.nothing.v1.here"};
  Daemon d(std::move(c), kFixtures);
  Status s = d.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("io.berth.nothing.v1.here"), std::string::npos);
}

TEST_F(DaemonTest, PluginFilesThatCrashOrExitWhenLoadedAreLeftOutAndTheDaemonRuns) {
  // Before the pre-flight, starting this daemon killed the test process
  // (SIGABRT, SIGSEGV) or ended it with status 0. They are in a third-party
  // plugin directory (plugin_dirs): the built-in one is not pre-flighted.
  auto c = config();
  c.plugin_dirs = {
      plugin_dir({kHostile / "fixture-abort.so", kHostile / "fixture-segv.so", kHostile / "fixture-exit.so",
                  kHostile / "truncated.so", kFixtures / "fixture-good.so"})
          .string()};
  Daemon d(std::move(c), plugin_dir({}, "builtin"));
  ASSERT_TRUE(d.start().ok());
  auto all = d.registry().list();
  ASSERT_NE(find(all, "io.berth.test.v1.good"), nullptr);
  EXPECT_EQ(find(all, "io.berth.test.v1.good")->state, PluginState::kOk);
  EXPECT_EQ(find(all, "io.berth.test.v1.abort"), nullptr);
  EXPECT_EQ(find(all, "io.berth.test.v1.segv"), nullptr);
  EXPECT_EQ(find(all, "io.berth.test.v1.exit"), nullptr);
  // The verdicts are kept in the state directory for the next start.
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "state/plugin-preflight.toml"));
}

TEST_F(DaemonTest, ARequiredPluginInAFileLeftOutNamesTheFileAndWhy) {
  auto c = config();
  c.required_plugins = {"io.berth.test.v1.segv"};
  c.plugin_dirs = {plugin_dir({kHostile / "fixture-segv.so"}).string()};
  Daemon d(std::move(c), plugin_dir({}, "builtin"));
  Status s = d.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(
      s.message().find("required plugin io.berth.test.v1.segv is not installed or is disabled (plugin files "
                       "and directories left out: plugin file "),
      std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("fixture-segv.so crashed with signal 11"), std::string::npos) << s.message();
}

// The built-in directory comes with berthd and is not pre-flighted (a first
// start loaded every built-in plugin twice); a third-party directory is.
TEST_F(DaemonTest, OnlyThirdPartyPluginDirectoriesArePreflighted) {
  auto c = config();
  c.plugin_dirs = {plugin_dir({kHostile / "fixture-segv.so"}, "third-party").string()};
  Daemon d(std::move(c), plugin_dir({kFixtures / "fixture-good.so"}, "builtin"));
  ASSERT_TRUE(d.start().ok());
  auto all = d.registry().list();
  ASSERT_NE(find(all, "io.berth.test.v1.good"), nullptr);
  EXPECT_EQ(find(all, "io.berth.test.v1.segv"), nullptr);
  std::ifstream in(tmp_ / "state/plugin-preflight.toml");
  const std::string kept{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_NE(kept.find("third-party/fixture-segv.so"), std::string::npos) << kept;
  EXPECT_EQ(kept.find("builtin/"), std::string::npos) << kept;
}

TEST_F(DaemonTest, APluginLookingItselfUpDuringInitIsToldItIsStillInitialising) {
  Daemon d(config(), kFixtures);
  ASSERT_TRUE(d.start().ok());
  auto all = d.registry().list();
  const auto* p = find(all, "io.berth.test.v1.self-lookup");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->state, PluginState::kError);
  EXPECT_EQ(p->error.message(), "plugin io.berth.test.v1.self-lookup is still initialising");
}

TEST_F(DaemonTest, DisabledPluginsAreNotLoaded) {
  auto c = config();
  c.disabled_plugins = {"io.berth.test.v1.good"};
  Daemon d(std::move(c), kFixtures);
  ASSERT_TRUE(d.start().ok());
  // As in containerd: not listed at all (no "disabled" state), never initialised.
  auto all = d.registry().list();
  EXPECT_EQ(find(all, "io.berth.test.v1.good"), nullptr);
  EXPECT_NE(find(all, "io.berth.test.v1.skipper"), nullptr);
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "root/io.berth.test.v1.good"));
}

TEST_F(DaemonTest, PluginSeesItsConfigSection) {
  auto c = config();
  c.plugins["io.berth.test.v1.good"] = toml::parse("greeting = \"hello from config\"\n");
  Daemon d(std::move(c), kFixtures);
  ASSERT_TRUE(d.start().ok());
  EXPECT_EQ(find(d.registry().list(), "io.berth.test.v1.good")->exports.at("greeting"), "hello from config");
}

// Before, any initialised plugin whose instance offered GrpcService was
// served, whatever its type.
TEST_F(DaemonTest, OnlyPluginsOfTheGrpcTypeAreServed) {
  Daemon d(config(), kFixtures / "grpc");
  ASSERT_TRUE(d.start().ok());
  auto all = d.registry().list();
  ASSERT_NE(find(all, "io.containerd.grpc.v1.fixture-served"), nullptr);
  ASSERT_NE(find(all, "io.berth.test.v1.grpc-misfiled"), nullptr);
  EXPECT_EQ(find(all, "io.berth.test.v1.grpc-misfiled")->state, PluginState::kOk);
  EXPECT_TRUE(
      std::filesystem::exists(tmp_ / "root/io.containerd.grpc.v1.fixture-served/services-registered"));
  EXPECT_FALSE(std::filesystem::exists(tmp_ / "root/io.berth.test.v1.grpc-misfiled/services-registered"));
}

class Offering final : public Instance, public GrpcService {
 public:
  void register_services(grpc::ServerBuilder&) override {}
};
class Backend final : public Instance {};

TEST(GrpcServices, ComeFromPluginsOfTheGrpcTypeAndOthersOfferingThemAreNamed) {
  Registry registry;
  auto add = [&](const std::string& type, const std::string& id, std::shared_ptr<Instance> instance) {
    PluginInfo info;
    info.type = type;
    info.id = id;
    registry.set_ok(registry.add(info), std::move(instance));
  };
  auto served = std::make_shared<Offering>();
  auto misfiled = std::make_shared<Offering>();
  auto also_served = std::make_shared<Offering>();
  add("io.containerd.grpc.v1", "first", served);
  add("io.containerd.snapshotter.v1", "chatty", misfiled);
  add("io.containerd.metadata.v1", "quiet", std::make_shared<Backend>());
  add("io.containerd.grpc.v1", "second", also_served);
  const std::size_t failed = registry.add(PluginInfo{.type = "io.containerd.grpc.v1", .id = "failed"});
  registry.set_failed(failed, PluginState::kError, internal("init failed"));

  Warnings warnings;
  const auto services = grpc_services(registry, warnings);
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0], served.get());
  EXPECT_EQ(services[1], also_served.get());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "plugin io.containerd.snapshotter.v1.chatty offers gRPC services but its type is "
            "io.containerd.snapshotter.v1, not io.containerd.grpc.v1: its services are not registered");
}

TEST_F(DaemonTest, ASocketInUseIsNotTakenOver) {
  Daemon first(config(), kFixtures);
  ASSERT_TRUE(first.start().ok());
  Daemon second(config(), kFixtures);
  Status s = second.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("another server is listening"), std::string::npos) << s.message();
  EXPECT_TRUE(std::filesystem::exists(tmp_ / "berth.sock"));
}

TEST_F(DaemonTest, AStaleSocketIsReplaced) {
  // What a crash leaves: a socket file that nothing listens on.
  const auto path = (tmp_ / "berth.sock").string();
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  ASSERT_TRUE(std::filesystem::exists(path));
  Daemon d(config(), kFixtures);
  Status s = d.start();
  EXPECT_TRUE(s.ok()) << s.to_string();
}

TEST_F(DaemonTest, ARegularFileAtTheSocketPathIsKept) {
  { std::ofstream(tmp_ / "berth.sock") << "precious"; }
  Daemon d(config(), kFixtures);
  Status s = d.start();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is not a socket"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace berth::host
