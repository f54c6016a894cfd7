#include <gtest/gtest.h>

#include "plugin_loader.hpp"

namespace berth::host {
namespace {

const std::filesystem::path kFixtures = BERTH_FIXTURE_DIR;

TEST(Loader, ReadsDescriptorsAndDefaults) {
  PluginLoader loader;
  auto plugins = loader.load(kFixtures / "fixture-good.so");
  ASSERT_TRUE(plugins.ok()) << plugins.status().to_string();
  ASSERT_EQ(plugins->size(), 2u);
  EXPECT_EQ((*plugins)[0].key(), "io.berth.test.v1.good");
  EXPECT_EQ((*plugins)[0].defaults["retries"].value<int64_t>(), 3);
  EXPECT_EQ((*plugins)[1].key(), "io.berth.test.v1.skipper");
}

TEST(Loader, RefusesAFileThatIsNotElf) {
  PluginLoader loader;
  auto r = loader.load(kFixtures / "not-elf.so");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not-elf.so"), std::string::npos) << r.status().message();
}

TEST(Loader, RefusesALibraryWithoutEntryPoint) {
  PluginLoader loader;
  auto r = loader.load(kFixtures / "fixture-no-entry.so");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no entry point berth_plugin_entry"), std::string::npos)
      << r.status().message();
}

TEST(Loader, RefusesAnotherAbiVersionBeforeReadingTheTable) {
  PluginLoader loader;
  auto r = loader.load(kFixtures / "fixture-wrong-abi.so");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("plugin ABI version 999"), std::string::npos) << r.status().message();
}

TEST(Loader, RefusesAMissingFile) {
  PluginLoader loader;
  auto r = loader.load(kFixtures / "does-not-exist.so");
  ASSERT_FALSE(r.ok());
}

TEST(Loader, DiscoverSkipsBadLibrariesAndReportsThem) {
  PluginLoader loader;
  std::vector<std::string> problems;
  auto plugins = loader.discover({kFixtures, kFixtures / "missing-dir"}, problems);
  std::vector<std::string> keys;
  for (const auto& p : plugins) keys.push_back(p.key());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "io.berth.test.v1.good"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "io.berth.test.v1.throwing"), keys.end());
  // not-elf, no-entry, wrong-abi and the missing directory.
  EXPECT_EQ(problems.size(), 4u);
}

}  // namespace
}  // namespace berth::host
