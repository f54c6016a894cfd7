// The tests mount snapshots for real. They do it in a private mount
// namespace of their own, so a failing test cannot leave mounts on the host
// and every mount vanishes with the process.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

namespace {

class PrivateMountNamespace : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << "unshare(CLONE_NEWNS): " << std::strerror(errno);
    ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
        << "make / private: " << std::strerror(errno);
  }
};

[[maybe_unused]] auto* const kEnv = ::testing::AddGlobalTestEnvironment(new PrivateMountNamespace);

}  // namespace
