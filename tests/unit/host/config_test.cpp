#include "config.hpp"

#include <gtest/gtest.h>

#include "plugin_config.hpp"

namespace berth::host {
namespace {

TEST(Config, EmptyDocumentGivesDefaults) {
  Warnings w;
  auto cfg = parse_config("", "c.toml", w);
  ASSERT_TRUE(cfg.ok()) << cfg.status().to_string();
  EXPECT_EQ(cfg->version, 2);
  EXPECT_EQ(cfg->root, "/var/lib/berth");
  EXPECT_EQ(cfg->grpc.address, "/run/berth/berth.sock");
  EXPECT_TRUE(w.empty());
}

TEST(Config, ReadsContainerdKeys) {
  Warnings w;
  auto cfg = parse_config(R"(
version = 2
root = "/r"
state = "/s"
oom_score = -999
disabled_plugins = ["io.containerd.grpc.v1.cri"]
required_plugins = ["io.containerd.metadata.v1.rocksdb"]
plugin_dirs = ["/opt/p"]
[grpc]
  address = "/tmp/x.sock"
  uid = 5
  gid = 6
  max_recv_message_size = 100
[debug]
  level = "debug"
[metrics]
  address = "127.0.0.1:1338"
  grpc_histogram = true
[plugins."io.containerd.gc.v1.scheduler"]
  pause_threshold = 0.02
)",
                          "c.toml", w);
  ASSERT_TRUE(cfg.ok()) << cfg.status().to_string();
  EXPECT_EQ(cfg->root, "/r");
  EXPECT_EQ(cfg->state, "/s");
  EXPECT_EQ(cfg->oom_score, -999);
  EXPECT_EQ(cfg->disabled_plugins, std::vector<std::string>{"io.containerd.grpc.v1.cri"});
  EXPECT_EQ(cfg->plugin_dirs, std::vector<std::string>{"/opt/p"});
  EXPECT_EQ(cfg->grpc.address, "/tmp/x.sock");
  EXPECT_EQ(cfg->grpc.uid, 5);
  EXPECT_EQ(cfg->grpc.max_recv_message_size, 100);
  EXPECT_EQ(cfg->log_level, "debug");
  EXPECT_EQ(cfg->metrics_address, "127.0.0.1:1338");
  EXPECT_TRUE(cfg->metrics_grpc_histogram);
  ASSERT_TRUE(cfg->plugins.contains("io.containerd.gc.v1.scheduler"));
  EXPECT_TRUE(w.empty()) << w.front();
}

TEST(Config, SyntaxErrorNamesFileLineAndColumn) {
  Warnings w;
  auto cfg = parse_config("version = 2\nroot = \"/r\nstate = 1\n", "/etc/berth/config.toml", w);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), Code::kInvalidArgument);
  EXPECT_NE(cfg.status().message().find("/etc/berth/config.toml:2:"), std::string::npos)
      << cfg.status().message();
}

TEST(Config, WrongTypeNamesKeyAndPosition) {
  Warnings w;
  auto cfg = parse_config("version = 2\n[grpc]\naddress = 42\n", "c.toml", w);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("c.toml:3:11"), std::string::npos) << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("'grpc.address'"), std::string::npos) << cfg.status().message();
}

TEST(Config, UnknownKeysAreWarnedWithLine) {
  Warnings w;
  auto cfg = parse_config("version = 2\nbogus = 1\n[grpc]\nadress = \"/x\"\n", "c.toml", w);
  ASSERT_TRUE(cfg.ok());
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("c.toml:4:1"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("grpc.adress"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("c.toml:2:1"), std::string::npos) << w[1];
}

TEST(Config, RefusesOtherVersions) {
  Warnings w;
  auto cfg = parse_config("version = 1\n", "c.toml", w);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("version 1"), std::string::npos);
}

TEST(Config, RefusesUnknownLogLevel) {
  Warnings w;
  auto cfg = parse_config("[debug]\nlevel = \"loud\"\n", "c.toml", w);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("c.toml:2:9"), std::string::npos) << cfg.status().message();
}

PluginDescriptor descriptor(const std::string& defaults) {
  PluginDescriptor p;
  p.type = "io.berth.test.v1";
  p.id = "x";
  p.defaults = toml::parse(defaults);
  return p;
}

TEST(Config, GrpcLimitsHaveDefaults) {
  Warnings w;
  auto cfg = parse_config("version = 2\n", "c.toml", w);
  ASSERT_TRUE(cfg.ok()) << cfg.status().to_string();
  EXPECT_EQ(cfg->grpc.max_concurrent_calls, 128);
  EXPECT_EQ(cfg->grpc.max_recv_message_size, 16 << 20);
  auto set = parse_config(
      "version = 2\n[grpc]\nmax_concurrent_calls = 4096\nmax_send_message_size = 2147483647\n", "c.toml", w);
  ASSERT_TRUE(set.ok()) << set.status().to_string();
  EXPECT_EQ(set->grpc.max_concurrent_calls, 4096);
  EXPECT_EQ(set->grpc.max_send_message_size, 2147483647);
  EXPECT_TRUE(w.empty()) << w.front();
}

// Before the range checks a negative size became gRPC's "unlimited" and a
// huge one wrapped around when narrowed to int.
TEST(Config, GrpcLimitsOutOfRangeAreErrorsNamingKeyAndPosition) {
  struct Case {
    const char* line;
    const char* key;
  };
  for (const Case& c : {Case{"max_recv_message_size = -1", "grpc.max_recv_message_size"},
                        Case{"max_recv_message_size = 0", "grpc.max_recv_message_size"},
                        Case{"max_send_message_size = 4294967296", "grpc.max_send_message_size"},
                        Case{"max_concurrent_calls = 0", "grpc.max_concurrent_calls"},
                        Case{"max_concurrent_calls = 100000", "grpc.max_concurrent_calls"}}) {
    Warnings w;
    auto cfg = parse_config(std::string("version = 2\n[grpc]\n") + c.line + "\n", "c.toml", w);
    ASSERT_FALSE(cfg.ok()) << c.line;
    EXPECT_EQ(cfg.status().code(), Code::kInvalidArgument);
    const std::string& m = cfg.status().message();
    EXPECT_NE(m.find("c.toml:3:"), std::string::npos) << m;
    EXPECT_NE(m.find(c.key), std::string::npos) << m;
    EXPECT_NE(m.find("must be between"), std::string::npos) << m;
  }
}

TEST(PluginConfig, OverlayKeepsDefaultsAndTakesUserValues) {
  Warnings w;
  auto cfg = parse_config(
      "[plugins.\"io.berth.test.v1.x\"]\nretries = 9\n[plugins.\"io.berth.test.v1.x\".nested]\nb = 2\n",
      "c.toml", w);
  ASSERT_TRUE(cfg.ok());
  auto p = descriptor("retries = 3\nname = \"n\"\n[nested]\na = 1\nb = 1\n");
  ASSERT_TRUE(check_plugin_sections(*cfg, {p}, w).ok());
  auto eff = effective_plugin_config(*cfg, p);
  EXPECT_EQ(eff["retries"].value<int64_t>(), 9);
  EXPECT_EQ(eff["name"].value<std::string>(), "n");
  EXPECT_EQ(eff["nested"]["a"].value<int64_t>(), 1);
  EXPECT_EQ(eff["nested"]["b"].value<int64_t>(), 2);
}

TEST(PluginConfig, WrongTypeIsAnErrorUnknownKeyAWarning) {
  Warnings w;
  auto cfg = parse_config("[plugins.\"io.berth.test.v1.x\"]\nretries = \"many\"\n", "c.toml", w);
  ASSERT_TRUE(cfg.ok());
  auto p = descriptor("retries = 3\n");
  Status s = check_plugin_sections(*cfg, {p}, w);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("c.toml:2:11"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("must be an integer"), std::string::npos) << s.message();

  auto cfg2 =
      parse_config("[plugins.\"io.berth.test.v1.x\"]\nretry = 3\n[plugins.\"io.nope.v1.y\"]\n", "c.toml", w);
  ASSERT_TRUE(cfg2.ok());
  Warnings w2;
  ASSERT_TRUE(check_plugin_sections(*cfg2, {p}, w2).ok());
  ASSERT_EQ(w2.size(), 2u);
}

TEST(PluginConfig, ATableOfTablesTakesNewNamesOfTheSameShape) {
  auto p = descriptor("[runtimes.\"a\"]\nshim = \"x\"\n[runtimes.\"a\".options]\nRoot = \"\"\n");
  Warnings w;
  auto cfg = parse_config(
      "[plugins.\"io.berth.test.v1.x\".runtimes.\"b\"]\nshim = \"/y\"\n"
      "[plugins.\"io.berth.test.v1.x\".runtimes.\"b\".options]\nRoot = \"/r\"\n",
      "c.toml", w);
  ASSERT_TRUE(cfg.ok());
  ASSERT_TRUE(check_plugin_sections(*cfg, {p}, w).ok());
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_EQ(effective_plugin_config(*cfg, p)["runtimes"]["b"]["shim"].value<std::string>(), "/y");

  // Each new record is still checked against the shape.
  auto bad =
      parse_config("[plugins.\"io.berth.test.v1.x\".runtimes.\"b\"]\nshim = 1\nshm = \"\"\n", "c.toml", w);
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(check_plugin_sections(*bad, {p}, w).ok());
}

}  // namespace
}  // namespace berth::host
