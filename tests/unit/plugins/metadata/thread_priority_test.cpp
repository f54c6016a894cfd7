// ThreadPriority: the collector's thread runs niced, at the daemon's
// priority inside Raised, and as before once it is done.
#include "thread_priority.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

namespace berth::metadata {
namespace {

int my_nice() { return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))); }

TEST(ThreadPriorityTest, LowersTheThreadRaisesItInsideRaisedAndRestoresIt) {
  // On a thread of its own: the test process's other threads keep theirs.
  std::thread([] {
    const int before = my_nice();
    {
      const ThreadPriority low(before + 10 > 19 ? 19 : before + 10);
      const int lowered = my_nice();
      if (lowered == before) GTEST_SKIP() << "cannot renice back up here (no CAP_SYS_NICE)";
      EXPECT_GT(lowered, before);
      {
        const ThreadPriority::Raised up(&low);
        EXPECT_EQ(my_nice(), before);
      }
      EXPECT_EQ(my_nice(), lowered);
    }
    EXPECT_EQ(my_nice(), before);
  }).join();
}

TEST(ThreadPriorityTest, NeverRaisesAThreadAlreadyNicerThanAsked) {
  std::thread([] {
    ASSERT_EQ(::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 15), 0);
    {
      const ThreadPriority low(10);
      EXPECT_EQ(my_nice(), 15);
      const ThreadPriority::Raised up(&low);
      EXPECT_EQ(my_nice(), 15);
    }
    EXPECT_EQ(my_nice(), 15);
  }).join();
}

TEST(ThreadPriorityTest, RaisedWithoutAPriorityOrOnAnotherThreadDoesNothing) {
  const int before = my_nice();
  { const ThreadPriority::Raised up(nullptr); }
  EXPECT_EQ(my_nice(), before);
  const ThreadPriority low(19);  // this thread's
  const int lowered = my_nice();
  std::thread([&] {
    const int other = my_nice();
    const ThreadPriority::Raised up(&low);
    EXPECT_EQ(my_nice(), other);
  }).join();
  EXPECT_EQ(my_nice(), lowered);
}

}  // namespace
}  // namespace berth::metadata
