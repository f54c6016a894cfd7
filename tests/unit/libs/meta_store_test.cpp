// The record store both snapshotters share, used directly.
#include "snapshot-storage/meta_store.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "files/fd_io.hpp"
#include "snapshot-storage/record_json.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::snapshot {
namespace {

class MetaStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path root() const { return dir_.path() / "root"; }
  std::string journal_text() const { return files::read_file(root() / "metadata.journal").value(); }
  static std::size_t count_lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  // Records an active snapshot `key` on `parent`.
  static void add(MetaStore& store, const std::string& key, const std::string& parent = "") {
    auto r = store.reserve(SnapshotKind::kActive, key, parent, {});
    ASSERT_OK(r.status());
    ASSERT_OK(store.record(*r));
  }
  static Status label(MetaStore& store, const std::string& key, const std::string& value) {
    SnapshotInfo info;
    info.name = key;
    info.labels = {{"n", value}};
    return store.update(info, {"labels.n"}).status();
  }
  std::unique_ptr<MetaStore> open() {
    auto s = MetaStore::open(dir_.path() / "root");
    EXPECT_OK(s.status());
    return s.ok() ? std::move(s).value() : nullptr;
  }
  berth::test::TempDir dir_;
};

TEST_F(MetaStoreTest, AReservationHoldsItsKeyAndParentUntilRecordedOrAbandoned) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto a = store->reserve(SnapshotKind::kActive, "a", "", {});
  ASSERT_OK(a.status());
  ASSERT_OK(store->record(*a));
  ASSERT_OK(store->commit("base", "a", {}, {}));

  auto r = store->reserve(SnapshotKind::kActive, "child", "base", {});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->parent_ids, (std::vector<SnapshotId>{a->id}));
  EXPECT_GT(r->id, a->id);
  // Reserved but not recorded: invisible, yet its key and parent are held.
  EXPECT_CODE(store->get("child"), Code::kNotFound);
  EXPECT_CODE(store->reserve(SnapshotKind::kView, "child", "", {}), Code::kAlreadyExists);
  EXPECT_CODE(store->remove("base"), Code::kFailedPrecondition);
  store->abandon(*r);
  ASSERT_OK(store->reserve(SnapshotKind::kView, "child", "", {}).status());
}

TEST_F(MetaStoreTest, IdsAreNeverReusedAndSurviveReopen) {
  SnapshotId last = 0;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    for (const char* key : {"a", "b", "c"}) {
      auto r = store->reserve(SnapshotKind::kActive, key, "", {});
      ASSERT_OK(r.status());
      ASSERT_OK(store->record(*r));
      last = r->id;
    }
    ASSERT_OK(store->remove("c").status());
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "root" / "metadata.json.tmp"));
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto r = store->reserve(SnapshotKind::kActive, "c", "", {});
  ASSERT_OK(r.status());
  EXPECT_GT(r->id, last);
  EXPECT_EQ(store->get("b")->record.id, last - 1);
}

TEST_F(MetaStoreTest, ACorruptRecordFileIsDataLossNamingIt) {
  ASSERT_NE(open(), nullptr);
  const auto file = dir_.path() / "root" / "metadata.json";
  std::ofstream(file) << "{\"version\": 1, \"next_id\": ";
  auto s = MetaStore::open(dir_.path() / "root");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kDataLoss);
  EXPECT_NE(s.status().message().find(file.string()), std::string::npos) << s.status().to_string();
}

TEST_F(MetaStoreTest, EachChangeIsOneJournalLineAndAllSurviveReopen) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    add(*store, "a");
    ASSERT_OK(store->commit("base", "a", {{"k", "v"}}, {4096, 2}));
    add(*store, "child", "base");
    add(*store, "gone");
    ASSERT_OK(store->remove("gone").status());
    ASSERT_OK(label(*store, "child", "1"));
    // record a, commit, record child, record gone, remove gone, update child.
    EXPECT_EQ(count_lines(journal_text()), 6u);
    // Short of the fold, the record file is never rewritten.
    EXPECT_FALSE(std::filesystem::exists(root() / "metadata.json"));
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_CODE(store->get("a"), Code::kNotFound);
  EXPECT_CODE(store->get("gone"), Code::kNotFound);
  auto base = store->get("base");
  ASSERT_OK(base.status());
  EXPECT_EQ(base->record.info.kind, SnapshotKind::kCommitted);
  EXPECT_EQ(base->record.info.labels, (Labels{{"k", "v"}}));
  EXPECT_EQ(base->record.usage.size, 4096);
  auto child = store->get("child");
  ASSERT_OK(child.status());
  EXPECT_EQ(child->record.info.labels, (Labels{{"n", "1"}}));
  EXPECT_EQ(child->parent_ids, (std::vector<SnapshotId>{base->record.id}));
}

TEST_F(MetaStoreTest, ATornLastJournalLineIsDroppedAndCutOff) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    add(*store, "a");
  }
  const std::string whole = journal_text();
  // A crash in the middle of the next change's write.
  std::ofstream(root() / "metadata.journal", std::ios::app) << whole.substr(0, whole.size() / 2);
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_OK(store->get("a").status());
  EXPECT_EQ(journal_text(), whole);
  add(*store, "b");
  EXPECT_EQ(count_lines(journal_text()), 2u);
}

TEST_F(MetaStoreTest, ACorruptJournalLineIsDataLossNamingFileAndLine) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    add(*store, "a");
  }
  std::ofstream(root() / "metadata.journal", std::ios::app) << "{\"v\": 1, \"removed\": 7}\n";
  auto s = MetaStore::open(root());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kDataLoss);
  EXPECT_NE(s.status().message().find((root() / "metadata.journal").string() + " line 2"), std::string::npos)
      << s.status().to_string();
}

TEST_F(MetaStoreTest, TheJournalIsFoldedIntoTheRecordFileAndReplayingItAgainIsHarmless) {
  std::string before_fold;
  std::string last_line;
  {
    auto opened = MetaStore::open(root(), /*fold_after=*/10);
    ASSERT_OK(opened.status());
    auto& store = *opened;
    add(*store, "a");
    add(*store, "b");
    for (int i = 0; i < 8; ++i) ASSERT_OK(label(*store, "a", std::to_string(i)));
    ASSERT_EQ(count_lines(journal_text()), 10u);
    before_fold = journal_text();
    ASSERT_OK(label(*store, "a", "last"));
    // Folded: the record file holds everything, the journal nothing.
    EXPECT_TRUE(std::filesystem::exists(root() / "metadata.json"));
    EXPECT_EQ(journal_text(), "");
    Change change;
    change.put.push_back(store->get("a")->record);
    last_line = encode_change(change) + "\n";
  }
  // A crash between writing the record file and emptying the journal: the
  // journal's changes are replayed over a file that already holds them.
  std::ofstream(root() / "metadata.journal") << before_fold << last_line;
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->get("a")->record.info.labels, (Labels{{"n", "last"}}));
  EXPECT_OK(store->get("b").status());
  auto next = store->reserve(SnapshotKind::kActive, "c", "", {});
  ASSERT_OK(next.status());
  EXPECT_EQ(next->id, 3u);
}

// The GC's sweep: children then their parents in one call, one flush.
TEST_F(MetaStoreTest, RemoveAllTakesChildrenThenParentsAsOneJournalLine) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    add(*store, "a");
    ASSERT_OK(store->commit("base", "a", {}, {}));
    add(*store, "child", "base");
    add(*store, "view", "base");
    add(*store, "other");
    add(*store, "kept");
    const std::size_t before = count_lines(journal_text());
    auto removed = store->remove_all({"child", "view", "base", "other"});
    ASSERT_EQ(removed.size(), 4u);
    for (const auto& r : removed) EXPECT_OK(r.status());
    EXPECT_EQ(removed[0]->info.name, "child");
    EXPECT_EQ(removed[2]->info.kind, SnapshotKind::kCommitted);
    EXPECT_EQ(count_lines(journal_text()), before + 1);
    for (const char* key : {"child", "view", "base", "other"}) {
      SCOPED_TRACE(key);
      EXPECT_CODE(store->get(key), Code::kNotFound);
    }
    EXPECT_OK(store->get("kept").status());
  }
  // The one line replays to the same state.
  auto store = open();
  ASSERT_NE(store, nullptr);
  for (const char* key : {"child", "view", "base", "other"}) {
    SCOPED_TRACE(key);
    EXPECT_CODE(store->get(key), Code::kNotFound);
  }
  EXPECT_OK(store->get("kept").status());
}

TEST_F(MetaStoreTest, RemoveAllFailsAParentBeforeItsChildAndAMissingKeyButTakesTheRest) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  add(*store, "a");
  ASSERT_OK(store->commit("base", "a", {}, {}));
  add(*store, "child", "base");
  add(*store, "other");
  const std::size_t before = count_lines(journal_text());
  auto removed = store->remove_all({"base", "missing", "child", "other", "other"});
  ASSERT_EQ(removed.size(), 5u);
  EXPECT_CODE(removed[0], Code::kFailedPrecondition);
  EXPECT_NE(removed[0].status().message().find("cannot remove snapshot with child"), std::string::npos);
  EXPECT_CODE(removed[1], Code::kNotFound);
  EXPECT_OK(removed[2].status());
  EXPECT_OK(removed[3].status());
  EXPECT_CODE(removed[4], Code::kNotFound);  // gone earlier in the same call
  EXPECT_EQ(count_lines(journal_text()), before + 1);
  EXPECT_OK(store->get("base").status());
  EXPECT_CODE(store->get("child"), Code::kNotFound);
  EXPECT_CODE(store->get("other"), Code::kNotFound);
  // A reserved child holds its parent as a recorded one does.
  auto r = store->reserve(SnapshotKind::kView, "pending", "base", {});
  ASSERT_OK(r.status());
  EXPECT_CODE(store->remove_all({"base"}).front(), Code::kFailedPrecondition);
  store->abandon(*r);
  EXPECT_OK(store->remove_all({"base"}).front().status());
  // Nothing to remove: nothing written.
  const std::size_t after = count_lines(journal_text());
  EXPECT_CODE(store->remove_all({"base", "child"}).front(), Code::kNotFound);
  EXPECT_EQ(count_lines(journal_text()), after);
  EXPECT_TRUE(store->remove_all({}).empty());
}

// A full disk: the journal line cannot be written, so every key that would
// have gone fails with that error and the store is as it was.
TEST_F(MetaStoreTest, RemoveAllThatCannotSaveRemovesNothing) {
  const auto small = dir_.path() / "small";
  std::filesystem::create_directories(small);
  ASSERT_EQ(::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=64k"), 0) << std::strerror(errno);
  struct Unmount {
    std::filesystem::path dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{small};
  // The records in the record file and an empty journal, whose first line
  // needs a page of a file system that has none left.
  State state;
  Record base;
  base.id = 1;
  base.info.name = "base";
  base.info.kind = SnapshotKind::kCommitted;
  Record child;
  child.id = 2;
  child.info.name = "child";
  child.info.parent = "base";
  child.info.kind = SnapshotKind::kActive;
  state.records = {{"base", base}, {"child", child}};
  state.next_id = 3;
  const auto root = small / "root";
  std::filesystem::create_directories(root);
  std::ofstream(root / "metadata.json") << encode_state(state);
  auto opened = MetaStore::open(root);
  ASSERT_OK(opened.status());
  auto& store = *opened;
  {
    std::ofstream filler(small / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) && filler.flush()) {
    }
  }
  auto removed = store->remove_all({"child", "missing", "base"});
  ASSERT_EQ(removed.size(), 3u);
  EXPECT_FALSE(removed[0].ok());
  EXPECT_NE(removed[0].status().code(), Code::kNotFound);
  EXPECT_CODE(removed[1], Code::kNotFound);
  EXPECT_EQ(removed[2].status().code(), removed[0].status().code());
  EXPECT_EQ(removed[2].status().message(), removed[0].status().message());
  EXPECT_NE(removed[0].status().message().find("remove 2 snapshots"), std::string::npos)
      << removed[0].status().to_string();
  EXPECT_OK(store->get("child").status());
  EXPECT_OK(store->get("base").status());
  // With room again, the same call goes through.
  std::filesystem::remove(small / "filler");
  for (const auto& r : store->remove_all({"child", "base"})) EXPECT_OK(r.status());
}

}  // namespace
}  // namespace berth::snapshot
