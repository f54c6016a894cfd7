// GroupSync: one flush covers every write made before it started, waiters
// share flushes, and a failed flush reaches the writes it was to cover.
#include "group_sync.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace berth::metadata {
namespace {

TEST(GroupSyncTest, AWaitReturnsOnceAFlushCoversItsWrite) {
  std::atomic<int> flushes{0};
  GroupSync sync([&] {
    ++flushes;
    return Status();
  });
  const auto first = sync.written();
  const auto second = sync.written();
  EXPECT_EQ(sync.latest(), second);
  ASSERT_TRUE(sync.wait(second).ok());
  EXPECT_EQ(flushes.load(), 1);
  // The flush for the second write covered the first.
  ASSERT_TRUE(sync.wait(first).ok());
  EXPECT_EQ(flushes.load(), 1);
}

TEST(GroupSyncTest, WaitersDuringAFlushShareTheNextOne) {
  std::atomic<int> flushes{0};
  std::atomic<bool> release{false};
  GroupSync sync([&] {
    ++flushes;
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Status();
  });
  std::thread first([&] { EXPECT_TRUE(sync.wait(sync.written()).ok()); });
  while (flushes.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // Eight writes made while the first flush runs: it does not cover them.
  std::vector<std::thread> later;
  for (int i = 0; i < 8; ++i) later.emplace_back([&, t = sync.written()] { EXPECT_TRUE(sync.wait(t).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  release = true;
  first.join();
  for (auto& t : later) t.join();
  EXPECT_EQ(flushes.load(), 2);
}

TEST(GroupSyncTest, AFailedFlushFailsTheWritesItCoveredAndALaterOneTriesAgain) {
  std::atomic<int> calls{0};
  GroupSync sync([&]() -> Status {
    if (++calls == 1) return internal("disk on fire");
    return Status();
  });
  const auto t = sync.written();
  Status st = sync.wait(t);
  EXPECT_EQ(st.code(), Code::kInternal);
  EXPECT_NE(st.message().find("disk on fire"), std::string::npos);
  // A write after the failure is flushed anew, and that flush covers both.
  ASSERT_TRUE(sync.wait(sync.written()).ok());
  EXPECT_TRUE(sync.wait(t).ok());
  EXPECT_EQ(calls.load(), 2);
}

}  // namespace
}  // namespace berth::metadata
