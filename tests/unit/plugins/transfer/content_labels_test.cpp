// The distribution source labels a pull writes and a push reads and extends.
#include "content_labels.hpp"

#include <gtest/gtest.h>

namespace berth::transfer {
namespace {

TEST(ContentLabels, AppendSourceKeepsEachRepositoryOnceSorted) {
  EXPECT_EQ(append_source("", "b/x"), "b/x");
  EXPECT_EQ(append_source("b/x", "a/y"), "a/y,b/x");
  EXPECT_EQ(append_source("a/y,b/x", "b/x"), "a/y,b/x");
  EXPECT_EQ(append_source(",a/y,,", "c"), "a/y,c");
}

TEST(ContentLabels, MountSourceSharesTheLongestPathPrefix) {
  EXPECT_EQ(mount_source("", "team/app"), "");
  EXPECT_EQ(mount_source("team/app", "team/app"), "");  // never the target itself
  EXPECT_EQ(mount_source("library/busybox", "team/app"), "library/busybox");
  EXPECT_EQ(mount_source("library/busybox,team/base", "team/app"), "team/base");
  EXPECT_EQ(mount_source("team/base,library/busybox", "team/app"), "team/base");
  // Components, not characters: "team" shares nothing with "teams".
  EXPECT_EQ(mount_source("org/teams/x,team/a/b", "team/app/web"), "team/a/b");
  // A tie goes to the later one, as containerd has it.
  EXPECT_EQ(mount_source("a/one,a/two", "a/three"), "a/two");
}

}  // namespace
}  // namespace berth::transfer
