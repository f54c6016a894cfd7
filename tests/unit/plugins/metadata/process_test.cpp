// Durability and locking against a second process (tests/unit/metadata/helper.cpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>
#include <string_view>

#include "child_process.hpp"
#include "keys.hpp"
#include "namespace_store.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::metadata {
namespace {

using berth::test::ChildProcess;
using berth::test::TempDir;

void expect_survived_kill(bool sync_writes) {
  TempDir dir;
  constexpr int kCount = 100;
  ChildProcess child(BERTH_METADATA_HELPER, {"commit-and-kill", (dir / "meta.db").string(),
                                             sync_writes ? "1" : "0", std::to_string(kCount)});
  ASSERT_TRUE(child.started());
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "helper exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto md = RocksMetadata::open((dir / "meta.db"), {});
  ASSERT_TRUE(md.ok()) << md.status().to_string();
  ASSERT_OK((*md)->view([&](Transaction& tx) {
    auto ns = KvNamespaceStore().get(tx, "crashed");
    if (!ns.ok()) return ns.status();
    EXPECT_EQ(ns->labels, (Labels{{"committed", "before-kill"}}));
    int leases = 0;
    BERTH_RETURN_IF_ERROR(
        tx.scan(keys::kind_prefix("crashed", keys::kLeases), [&](std::string_view, std::string_view) {
          ++leases;
          return true;
        }));
    EXPECT_EQ(leases, kCount);
    return ok_status();
  }));
}

TEST(MetadataProcess, CommitsSurviveSigkillWithSyncWrites) { expect_survived_kill(true); }

// Without fsync a commit still reaches the kernel before update() returns, so
// only a machine crash, not a process crash, can lose it.
TEST(MetadataProcess, CommitsSurviveSigkillWithoutSyncWrites) { expect_survived_kill(false); }

TEST(MetadataProcess, OpenFailsWhileAnotherProcessHoldsTheDatabase) {
  TempDir dir;
  ChildProcess holder(BERTH_METADATA_HELPER, {"hold", (dir / "meta.db").string()});
  ASSERT_TRUE(holder.started());
  ASSERT_TRUE(holder.wait_for_line("ready"));

  auto md = RocksMetadata::open((dir / "meta.db"), {});
  ASSERT_FALSE(md.ok());
  EXPECT_EQ(md.status().code(), Code::kUnavailable) << md.status().to_string();
  EXPECT_NE(md.status().message().find((dir / "meta.db").string()), std::string::npos)
      << md.status().message();
  EXPECT_NE(md.status().message().find("database is locked"), std::string::npos) << md.status().message();

  holder.close_stdin();
  const int status = holder.wait();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto after = RocksMetadata::open((dir / "meta.db"), {});
  EXPECT_TRUE(after.ok()) << after.status().to_string();
}

}  // namespace
}  // namespace berth::metadata
