// The content store against a second process (tests/unit/content/helper.cpp):
// an ingest survives its writer being killed with -9, and a ref held by one
// process is Unavailable to another.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>
#include <string_view>

#include "child_process.hpp"
#include "local_store.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

namespace berth::content {
namespace {

using berth::test::ChildProcess;
using berth::test::TempDir;
using namespace berth::content::test;

TEST(ContentProcess, AnIngestResumesAfterItsWriterIsKilled) {
  TempDir dir;
  const auto root = (dir / "root").string();
  constexpr int64_t kTotal = 3'000'000;
  constexpr int64_t kPart = 1'234'567;
  constexpr uint32_t kSeed = 42;
  ChildProcess child(BERTH_CONTENT_HELPER, {"write-and-kill", root, "layer-1", std::to_string(kTotal),
                                            std::to_string(kPart), std::to_string(kSeed)});
  ASSERT_TRUE(child.started());
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "helper exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto store = LocalStore::open(root);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto recorded = (*store)->status("layer-1");
  ASSERT_TRUE(recorded.ok()) << recorded.status().to_string();
  EXPECT_EQ(recorded->offset, kPart);
  EXPECT_EQ(recorded->total, kTotal);

  // The dead process's lock went with it.
  auto w = (*store)->writer("layer-1", 0, "");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ((*w)->status()->offset, kPart);
  const std::string data = pattern(kTotal, kSeed);
  ASSERT_OK((*w)->write(std::string_view(data).substr(kPart)));
  auto d = (*w)->commit(kTotal, sha256_of(data));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  auto back = read_blob(**store, *d);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_TRUE(*back == data);
}

TEST(ContentProcess, ARefHeldByAnotherProcessIsUnavailable) {
  TempDir dir;
  const auto root = (dir / "root").string();
  ChildProcess holder(BERTH_CONTENT_HELPER, {"hold", root, "held"});
  ASSERT_TRUE(holder.started());
  ASSERT_TRUE(holder.wait_for_line("ready"));

  auto store = LocalStore::open(root);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto w = (*store)->writer("held", 0, "");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kUnavailable) << w.status().to_string();
  EXPECT_NE(w.status().message().find("ref \"held\" locked"), std::string::npos) << w.status().message();
  EXPECT_CODE((*store)->abort("held"), Code::kUnavailable);
  // Reading the status needs no lock.
  EXPECT_TRUE((*store)->status("held").ok());

  holder.close_stdin();
  const int status = holder.wait();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto again = (*store)->writer("held", 0, "");
  EXPECT_TRUE(again.ok()) << again.status().to_string();
}

}  // namespace
}  // namespace berth::content
