// Berth's own CLI, `berth`, against berthd: the commands that are not about
// content or snapshots (berth_cli_content_test.cpp, berth_cli_snapshots_test.cpp);
// cli_against_containerd.sh runs the same CLI against containerd.
#include <gtest/gtest.h>

#include <regex>

#include "ctr_fixture.hpp"

namespace berth::test {
namespace {

using BerthCliTest = CtrFixture;

// Berth's own CLI against berthd (cli_against_containerd.sh runs it against containerd).
TEST_F(BerthCliTest, VersionNamespacesPluginsAndErrors) {
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

  // --debug: each call on stderr, with its code and time; the output is the same.
  auto debug = berth({"--debug", "namespaces", "rm", "nope"});
  EXPECT_EQ(debug.exit_code, 1) << debug.output;
  EXPECT_TRUE(std::regex_search(
      debug.output,
      std::regex(
          R"(berth: debug: +[0-9.]+ ms  containerd\.services\.namespaces\.v1\.DeleteNamespaceRequest: NotFound in [0-9.]+ ms)")))
      << debug.output;
  EXPECT_EQ(berth({"namespaces", "ls"}).output.find("debug"), std::string::npos);
}

}  // namespace
}  // namespace berth::test
