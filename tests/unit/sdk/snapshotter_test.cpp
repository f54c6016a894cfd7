// Snapshotter::remove_all's default, which a snapshotter without a batch
// form of its own gets: remove() of each key in order.
#include "berth/snapshotter.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "status_matchers.hpp"

namespace berth {
namespace {

// Snapshots as key -> parent, removed as remove() must (NotFound, and
// FailedPrecondition while it has children); every other method is left
// unimplemented.
class TreeSnapshotter final : public Snapshotter {
 public:
  explicit TreeSnapshotter(std::map<std::string, std::string, std::less<>> parents)
      : parents_(std::move(parents)) {}

  Status remove(std::string_view key) override {
    ++removes;
    auto it = parents_.find(key);
    if (it == parents_.end()) return not_found("snapshot " + std::string(key) + " does not exist");
    for (const auto& [k, parent] : parents_) {
      if (parent == key) return failed_precondition("cannot remove snapshot with child: " + std::string(key));
    }
    parents_.erase(it);
    return {};
  }
  Result<SnapshotInfo> stat(std::string_view) override { return unimplemented("stat"); }
  Result<SnapshotInfo> update(const SnapshotInfo&, const std::vector<std::string>&) override {
    return unimplemented("update");
  }
  Result<SnapshotUsage> usage(std::string_view) override { return unimplemented("usage"); }
  Result<std::vector<Mount>> mounts(std::string_view) override { return unimplemented("mounts"); }
  Result<std::vector<Mount>> prepare(std::string_view, std::string_view, const Labels&) override {
    return unimplemented("prepare");
  }
  Result<std::vector<Mount>> view(std::string_view, std::string_view, const Labels&) override {
    return unimplemented("view");
  }
  Status commit(std::string_view, std::string_view, const Labels&) override {
    return unimplemented("commit");
  }
  Status walk(const std::vector<std::string>&, const SnapshotWalkFn&) override {
    return unimplemented("walk");
  }
  Status cleanup() override { return unimplemented("cleanup"); }

  [[nodiscard]] bool has(const std::string& key) const { return parents_.contains(key); }
  int removes = 0;

 private:
  std::map<std::string, std::string, std::less<>> parents_;
};

TEST(SnapshotterRemoveAll, TheDefaultRemovesEachKeyInOrderAndReportsEach) {
  TreeSnapshotter sn({{"base", ""}, {"child", "base"}, {"grandchild", "child"}, {"other", ""}});
  Snapshotter& through_base = sn;
  auto done = through_base.remove_all({"child", "grandchild", "missing", "child", "base", "other"});
  ASSERT_EQ(done.size(), 6u);
  EXPECT_CODE(done[0], Code::kFailedPrecondition);  // its child is listed after it
  EXPECT_OK(done[1]);
  EXPECT_CODE(done[2], Code::kNotFound);
  EXPECT_OK(done[3]);  // its child went just before
  EXPECT_OK(done[4]);
  EXPECT_OK(done[5]);
  EXPECT_EQ(sn.removes, 6);
  for (const char* key : {"base", "child", "grandchild", "other"}) EXPECT_FALSE(sn.has(key)) << key;
  EXPECT_TRUE(through_base.remove_all({}).empty());
}

}  // namespace
}  // namespace berth
