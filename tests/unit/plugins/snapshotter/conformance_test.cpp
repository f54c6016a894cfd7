// The Snapshotter contract, run against both snapshotter plugins as built.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "snapshotter_fixture.hpp"

namespace berth::snapshot::test {
namespace {

template <class T>
class SnapshotterConformance : public SnapshotterTest<T> {};
TYPED_TEST_SUITE(SnapshotterConformance, SnapshotterTypes, TypeNames);

TYPED_TEST(SnapshotterConformance, DescribesItselfAsContainerdsSnapshotter) {
  EXPECT_STREQ(this->plugin().type, "io.containerd.snapshotter.v1");
  EXPECT_STREQ(this->plugin().id, TypeParam::kId);
  EXPECT_EQ(this->plugin().requires_types[0], nullptr);
}

TYPED_TEST(SnapshotterConformance, PrepareCommitViewChain) {
  auto& sn = this->sn();
  ASSERT_OK(sn.prepare("a", "", {{"k", "v"}}).status());
  auto a = sn.stat("a");
  ASSERT_OK(a.status());
  EXPECT_EQ(a->name, "a");
  EXPECT_EQ(a->kind, SnapshotKind::kActive);
  EXPECT_EQ(a->parent, "");
  EXPECT_EQ(a->labels.at("k"), "v");
  EXPECT_GT(a->created_at, 0);

  ASSERT_OK(sn.commit("base", "a", {{"c", "1"}}));
  EXPECT_CODE(sn.stat("a"), Code::kNotFound);
  auto base = sn.stat("base");
  ASSERT_OK(base.status());
  EXPECT_EQ(base->kind, SnapshotKind::kCommitted);
  EXPECT_EQ(base->labels, (Labels{{"c", "1"}}));
  EXPECT_CODE(sn.mounts("base"), Code::kFailedPrecondition);

  ASSERT_OK(sn.prepare("b", "base", {}).status());
  ASSERT_OK(sn.commit("top", "b", {}));
  ASSERT_OK(sn.view("v", "top", {}).status());
  auto v = sn.stat("v");
  ASSERT_OK(v.status());
  EXPECT_EQ(v->kind, SnapshotKind::kView);
  EXPECT_EQ(v->parent, "top");
  EXPECT_EQ(sn.stat("top")->parent, "base");
  auto mounts = sn.mounts("v");
  ASSERT_OK(mounts.status());
  EXPECT_FALSE(mounts->empty());

  // Only an active snapshot commits.
  EXPECT_CODE(sn.commit("x", "v", {}), Code::kFailedPrecondition);
  EXPECT_CODE(sn.commit("x", "top", {}), Code::kFailedPrecondition);
  EXPECT_CODE(sn.commit("x", "missing", {}), Code::kNotFound);
}

TYPED_TEST(SnapshotterConformance, FilesWrittenThroughMountsAreVisibleInChildren) {
  ASSERT_OK(this->layer("l1", "", {{"etc/one", "1"}, {"shared", "from l1"}}));
  ASSERT_OK(this->layer("l2", "l1", {{"etc/two", "2"}, {"shared", "from l2"}}));
  auto mounts = this->sn().prepare("work", "l2", {});
  ASSERT_OK(mounts.status());
  {
    auto m = this->mount(*mounts);
    ASSERT_OK(m.status());
    EXPECT_EQ(read_file(m->path() / "etc/one"), "1");
    EXPECT_EQ(read_file(m->path() / "etc/two"), "2");
    EXPECT_EQ(read_file(m->path() / "shared"), "from l2");
    ASSERT_OK(write_file(m->path() / "etc/three", "3"));
  }
  // A mount of the same active snapshot sees what the last one wrote.
  auto again = this->sn().mounts("work");
  ASSERT_OK(again.status());
  EXPECT_EQ(*again, *mounts);
  auto m = this->mount(*again);
  ASSERT_OK(m.status());
  EXPECT_EQ(read_file(m->path() / "etc/three"), "3");
  // The committed parent is untouched.
  auto v = this->sn().view("v", "l2", {});
  ASSERT_OK(v.status());
  auto vm = this->mount(*v);
  ASSERT_OK(vm.status());
  EXPECT_EQ(read_file(vm->path() / "etc/three"), "<missing>");
  EXPECT_EQ(read_file(vm->path() / "etc/two"), "2");
}

TYPED_TEST(SnapshotterConformance, KeyInUseFailsAlreadyExists) {
  auto& sn = this->sn();
  ASSERT_OK(sn.prepare("a", "", {}).status());
  EXPECT_CODE(sn.prepare("a", "", {}), Code::kAlreadyExists);
  EXPECT_CODE(sn.view("a", "", {}), Code::kAlreadyExists);
  ASSERT_OK(sn.commit("c", "a", {}));
  EXPECT_CODE(sn.prepare("c", "", {}), Code::kAlreadyExists);
  EXPECT_CODE(sn.view("c", "c", {}), Code::kAlreadyExists);
  ASSERT_OK(sn.prepare("b", "c", {}).status());
  EXPECT_CODE(sn.commit("c", "b", {}), Code::kAlreadyExists);
  // The failed commit left "b" as it was.
  EXPECT_EQ(sn.stat("b")->kind, SnapshotKind::kActive);
  EXPECT_EQ(this->walk_names({}), (std::vector<std::string>{"b", "c"}));
}

TYPED_TEST(SnapshotterConformance, ConcurrentCreatesOfOneKeyLetExactlyOneWin) {
  auto& sn = this->sn();
  ASSERT_OK(this->layer("base", "", {{"f", "x"}}));
  constexpr int kThreads = 8;
  std::atomic<int> won{0};
  std::atomic<int> exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // Half ask for a view, half for an active snapshot; distinct keys too.
      auto r = i % 2 == 0 ? sn.prepare("same", "base", {}) : sn.view("same", "base", {});
      if (r.ok()) ++won;
      if (r.status().code() == Code::kAlreadyExists) ++exists;
      EXPECT_OK(sn.prepare("own-" + std::to_string(i), "base", {}).status());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(exists.load(), kThreads - 1);
  EXPECT_EQ(this->walk_names({"parent==base"}).size(), static_cast<std::size_t>(kThreads + 1));
  // Every loser cleaned up after itself: one directory per snapshot.
  ASSERT_OK(sn.cleanup());
  std::size_t dirs = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(this->root_ / "snapshots"))
    ++dirs;
  EXPECT_EQ(dirs, static_cast<std::size_t>(kThreads + 2));
}

TYPED_TEST(SnapshotterConformance, ParentMustExistAndBeCommitted) {
  auto& sn = this->sn();
  ASSERT_OK(sn.prepare("a", "", {}).status());
  EXPECT_CODE(sn.prepare("b", "a", {}), Code::kFailedPrecondition);
  EXPECT_CODE(sn.view("b", "a", {}), Code::kFailedPrecondition);
  EXPECT_CODE(sn.prepare("b", "missing", {}), Code::kNotFound);
  EXPECT_CODE(sn.prepare("", "", {}), Code::kInvalidArgument);
  EXPECT_CODE(sn.prepare("b", "", {{"", "empty key"}}), Code::kInvalidArgument);
  EXPECT_CODE(sn.prepare("b", "", {{"big", std::string(5000, 'x')}}), Code::kInvalidArgument);
  // Nothing of the failed attempts remains: "b" is free.
  EXPECT_EQ(this->walk_names({}), (std::vector<std::string>{"a"}));
  ASSERT_OK(sn.prepare("b", "", {}).status());
}

TYPED_TEST(SnapshotterConformance, RemoveWithChildrenFails) {
  auto& sn = this->sn();
  ASSERT_OK(this->layer("base", "", {{"f", "x"}}));
  ASSERT_OK(sn.prepare("child", "base", {}).status());
  ASSERT_OK(sn.view("view", "base", {}).status());
  auto st = sn.remove("base");
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.to_string();
  EXPECT_NE(st.message().find("cannot remove snapshot with child"), std::string::npos) << st.to_string();
  ASSERT_OK(sn.remove("child"));
  EXPECT_CODE(sn.remove("base"), Code::kFailedPrecondition);
  ASSERT_OK(sn.remove("view"));
  ASSERT_OK(sn.remove("base"));
  EXPECT_CODE(sn.remove("base"), Code::kNotFound);
  EXPECT_CODE(sn.stat("base"), Code::kNotFound);
  ASSERT_OK(sn.cleanup());
  EXPECT_TRUE(std::filesystem::is_empty(this->root_ / "snapshots"));
}

// What the GC calls: children before parents, one durable change.
TYPED_TEST(SnapshotterConformance, RemoveAllTakesChildrenThenParentsInOneChange) {
  auto& sn = this->sn();
  ASSERT_OK(this->layer("base", "", {{"f", "x"}}));
  ASSERT_OK(this->layer("top", "base", {{"g", "y"}}));
  ASSERT_OK(sn.prepare("child", "top", {}).status());
  ASSERT_OK(sn.view("view", "base", {}).status());
  ASSERT_OK(sn.prepare("kept", "", {}).status());
  const auto journal = this->root_ / "metadata.journal";
  const auto lines = [&] {
    const std::string text = read_file(journal);
    return std::count(text.begin(), text.end(), '\n');
  };
  const auto before = lines();
  auto done = sn.remove_all({"base", "child", "missing", "top", "view"});
  ASSERT_EQ(done.size(), 5u);
  EXPECT_CODE(done[0], Code::kFailedPrecondition);  // its children come after it
  EXPECT_OK(done[1]);
  EXPECT_CODE(done[2], Code::kNotFound);
  EXPECT_OK(done[3]);
  EXPECT_OK(done[4]);
  EXPECT_EQ(lines(), before + 1);
  EXPECT_EQ(this->walk_names({}), (std::vector<std::string>{"base", "kept"}));
  done = sn.remove_all({"base", "kept"});
  ASSERT_EQ(done.size(), 2u);
  EXPECT_OK(done[0]);
  EXPECT_OK(done[1]);
  ASSERT_OK(sn.cleanup());
  EXPECT_TRUE(std::filesystem::is_empty(this->root_ / "snapshots"));
  this->reopen();
  EXPECT_TRUE(this->walk_names({}).empty());
}

TYPED_TEST(SnapshotterConformance, ViewMountsReadOnly) {
  auto& sn = this->sn();
  ASSERT_OK(this->layer("l1", "", {{"f", "1"}}));
  ASSERT_OK(this->layer("l2", "l1", {{"g", "2"}}));
  // Views of no parent, one parent and a chain take different shapes in the
  // overlay snapshotter; all must be read-only.
  for (const auto& [key, parent] :
       std::vector<std::pair<std::string, std::string>>{{"v0", ""}, {"v1", "l1"}, {"v2", "l2"}}) {
    SCOPED_TRACE(key);
    auto mounts = sn.view(key, parent, {});
    ASSERT_OK(mounts.status());
    auto m = this->mount(*mounts);
    ASSERT_OK(m.status());
    const auto path = m->path() / "new-file";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
    const int err = errno;
    if (fd >= 0) ::close(fd);
    EXPECT_EQ(fd, -1);
    EXPECT_EQ(err, EROFS);
    if (!parent.empty()) {
      EXPECT_EQ(read_file(m->path() / "f"), "1");
      const int fd2 = ::open((m->path() / "f").c_str(), O_WRONLY);
      const int err2 = errno;
      if (fd2 >= 0) ::close(fd2);
      EXPECT_EQ(fd2, -1);
      EXPECT_EQ(err2, EROFS);
    }
    EXPECT_EQ(sn.stat(key)->kind, SnapshotKind::kView);
  }
}

TYPED_TEST(SnapshotterConformance, UsageCountsBytesAndInodes) {
  auto& sn = this->sn();
  auto mounts = sn.prepare("a", "", {});
  ASSERT_OK(mounts.status());
  auto empty = sn.usage("a");
  ASSERT_OK(empty.status());
  EXPECT_EQ(empty->inodes, 1);  // the root directory
  const std::string mib(1 << 20, 'x');
  {
    auto m = this->mount(*mounts);
    ASSERT_OK(m.status());
    std::filesystem::create_directories(m->path() / "dir");
    ASSERT_OK(write_file(m->path() / "dir/big", mib));
    ASSERT_OK(write_file(m->path() / "small", "s"));
    // A second name for the same inode costs nothing more.
    std::filesystem::create_hard_link(m->path() / "dir/big", m->path() / "big-link");
    ::sync();
  }
  auto used = sn.usage("a");
  ASSERT_OK(used.status());
  EXPECT_EQ(used->inodes, 4);  // root, dir, big (twice linked), small
  EXPECT_GE(used->size, 1 << 20);
  EXPECT_LT(used->size, (1 << 20) + (256 << 10));
  ASSERT_OK(sn.commit("c", "a", {}));
  auto committed = sn.usage("c");
  ASSERT_OK(committed.status());
  EXPECT_EQ(committed->size, used->size);
  EXPECT_EQ(committed->inodes, used->inodes);
  EXPECT_CODE(sn.usage("a"), Code::kNotFound);
}

TYPED_TEST(SnapshotterConformance, UpdateLabels) {
  auto& sn = this->sn();
  ASSERT_OK(sn.prepare("a", "", {{"keep", "1"}, {"drop", "2"}}).status());
  const auto before = *sn.stat("a");
  SnapshotInfo info;
  info.name = "a";
  info.labels = {{"new", "3"}};
  auto updated = sn.update(info, {"labels.new", "labels.drop"});
  ASSERT_OK(updated.status());
  const Labels want{{"keep", "1"}, {"new", "3"}};
  EXPECT_EQ(updated->labels.at("keep"), "1");
  EXPECT_EQ(updated->labels.at("new"), "3");
  EXPECT_EQ(updated->labels.count("drop"), 0u);
  EXPECT_GE(updated->updated_at, before.updated_at);
  EXPECT_EQ(updated->created_at, before.created_at);
  EXPECT_EQ(sn.stat("a")->labels.count("drop"), 0u);

  info.labels = {{"only", "x"}};
  updated = sn.update(info, {"labels"});
  ASSERT_OK(updated.status());
  EXPECT_EQ(updated->labels.count("keep"), 0u);
  EXPECT_EQ(updated->labels.at("only"), "x");

  EXPECT_CODE(sn.update(info, {"name"}), Code::kInvalidArgument);
  EXPECT_CODE(sn.update(info, {"parent"}), Code::kInvalidArgument);
  info.labels = {{"huge", std::string(5000, 'y')}};
  EXPECT_CODE(sn.update(info, {"labels.huge"}), Code::kInvalidArgument);
  info.name = "missing";
  EXPECT_CODE(sn.update(info, {"labels"}), Code::kNotFound);
}

TYPED_TEST(SnapshotterConformance, WalkWithFilters) {
  auto& sn = this->sn();
  ASSERT_OK(sn.prepare("a", "", {}).status());
  ASSERT_OK(sn.commit("base", "a", {{"a", "b"}, {"containerd.io/gc.root", "x"}}));
  ASSERT_OK(sn.prepare("child", "base", {{"a", "c"}}).status());
  ASSERT_OK(sn.view("view", "base", {}).status());
  ASSERT_OK(sn.prepare("other", "", {}).status());

  using Names = std::vector<std::string>;
  EXPECT_EQ(this->walk_names({}), (Names{"base", "child", "other", "view"}));
  EXPECT_EQ(this->walk_names({"kind==committed"}), (Names{"base"}));
  EXPECT_EQ(this->walk_names({"kind==active"}), (Names{"child", "other"}));
  EXPECT_EQ(this->walk_names({"labels.\"a\"==b"}), (Names{"base"}));
  EXPECT_EQ(this->walk_names({"labels.a"}), (Names{"base", "child"}));
  EXPECT_EQ(this->walk_names({"labels.\"containerd.io/gc.root\""}), (Names{"base"}));
  EXPECT_EQ(this->walk_names({"parent==base"}), (Names{"child", "view"}));
  EXPECT_EQ(this->walk_names({"parent==base,kind==view"}), (Names{"view"}));
  EXPECT_EQ(this->walk_names({"name==other", "kind==view"}), (Names{"other", "view"}));
  EXPECT_EQ(this->walk_names({"name~=^ch"}), (Names{"child"}));
  EXPECT_CODE(sn.walk({"name=="}, [](const SnapshotInfo&) { return true; }), Code::kInvalidArgument);

  // Returning false stops the walk; the callback may call back in.
  int seen = 0;
  ASSERT_OK(sn.walk({}, [&](const SnapshotInfo& info) {
    EXPECT_OK(sn.stat(info.name).status());
    return ++seen < 2;
  }));
  EXPECT_EQ(seen, 2);
}

TYPED_TEST(SnapshotterConformance, RestartKeepsEverything) {
  auto& sn0 = this->sn();
  ASSERT_OK(this->layer("base", "", {{"f", "base"}}));
  ASSERT_OK(sn0.update({.name = "base", .labels = {{"l", "1"}}}, {"labels.l"}).status());
  ASSERT_OK(sn0.prepare("active", "base", {{"x", "y"}}).status());
  ASSERT_OK(sn0.view("view", "base", {}).status());
  std::vector<SnapshotInfo> before;
  ASSERT_OK(sn0.walk({}, [&](const SnapshotInfo& i) {
    before.push_back(i);
    return true;
  }));
  const auto usage_before = *sn0.usage("base");
  const auto mounts_before = *sn0.mounts("active");

  this->reopen();
  auto& sn = this->sn();
  std::vector<SnapshotInfo> after;
  ASSERT_OK(sn.walk({}, [&](const SnapshotInfo& i) {
    after.push_back(i);
    return true;
  }));
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].name, before[i].name);
    EXPECT_EQ(after[i].parent, before[i].parent);
    EXPECT_EQ(after[i].kind, before[i].kind);
    EXPECT_EQ(after[i].labels, before[i].labels);
    EXPECT_EQ(after[i].created_at, before[i].created_at);
    EXPECT_EQ(after[i].updated_at, before[i].updated_at);
  }
  EXPECT_EQ(sn.usage("base")->size, usage_before.size);
  EXPECT_EQ(sn.usage("base")->inodes, usage_before.inodes);
  EXPECT_EQ(*sn.mounts("active"), mounts_before);
  auto m = this->mount(*sn.mounts("active"));
  ASSERT_OK(m.status());
  EXPECT_EQ(read_file(m->path() / "f"), "base");
  ASSERT_OK(m->release());

  // New snapshots after a restart get fresh directories and work as before.
  EXPECT_CODE(sn.prepare("active", "", {}), Code::kAlreadyExists);
  ASSERT_OK(this->layer("next", "base", {{"g", "next"}}));
  auto v = sn.view("v2", "next", {});
  ASSERT_OK(v.status());
  auto vm = this->mount(*v);
  ASSERT_OK(vm.status());
  EXPECT_EQ(read_file(vm->path() / "f"), "base");
  EXPECT_EQ(read_file(vm->path() / "g"), "next");
}

TYPED_TEST(SnapshotterConformance, CleanupRemovesOrphanDirectories) {
  auto& sn = this->sn();
  ASSERT_OK(this->layer("keep", "", {{"f", "kept"}}));
  // What a crash between creating a snapshot's directory and recording it
  // leaves behind, and a stray name.
  const auto snapshots = this->root_ / "snapshots";
  std::filesystem::create_directories(snapshots / "4242" / "fs" / "deep");
  ASSERT_OK(write_file(snapshots / "4242" / "fs" / "deep" / "junk", "junk"));
  std::filesystem::create_directories(snapshots / "stray");
  ASSERT_OK(sn.prepare("gone", "keep", {}).status());
  ASSERT_OK(sn.remove("gone"));

  ASSERT_OK(sn.cleanup());
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(snapshots)) left.push_back(e.path().filename());
  EXPECT_EQ(left.size(), 1u);
  EXPECT_EQ(std::count(left.begin(), left.end(), "4242"), 0);
  EXPECT_EQ(std::count(left.begin(), left.end(), "stray"), 0);

  auto v = sn.view("v", "keep", {});
  ASSERT_OK(v.status());
  auto m = this->mount(*v);
  ASSERT_OK(m.status());
  EXPECT_EQ(read_file(m->path() / "f"), "kept");

  // An orphan id found at open is never handed out again.
  this->close();
  std::filesystem::create_directories(snapshots / "9000");
  this->open(this->config_);
  ASSERT_OK(this->sn().prepare("after", "", {}).status());
  EXPECT_TRUE(std::filesystem::exists(snapshots / "9001"));
}

}  // namespace
}  // namespace berth::snapshot::test
