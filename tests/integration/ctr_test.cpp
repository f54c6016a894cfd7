// berthd driven by Debian's real `ctr`, the reference containerd client.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace berth::test
