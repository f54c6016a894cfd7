// The record store both snapshotters share, used directly.
#include "snapshot-storage/meta_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::snapshot {
namespace {

class MetaStoreTest : public ::testing::Test {
 protected:
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

}  // namespace
}  // namespace berth::snapshot
