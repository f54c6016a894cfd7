// What stops a runaway apply: the caller's cancel check (before each entry
// and each chunk of a file's body), the bounds on bytes and entries (a gzip
// bomb, a flood of files) and the bound on applies at once. Whatever stops
// an apply, what it created is gone afterwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "apply.hpp"
#include "apply_slots.hpp"
#include "berth/diff.hpp"
#include "byte_source.hpp"
#include "layer_builder.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"
#include "tree_snapshot.hpp"

namespace berth::diff {
namespace {

namespace fs = std::filesystem;
using test::LayerBuilder;

Result<ApplyResult> apply_blob(const std::string& blob, std::string_view media_type, const fs::path& dir,
                               const ApplyOptions& options) {
  MemorySource src(blob);
  return apply_layer(src, media_type, dir, options);
}

std::size_t count_entries(const fs::path& dir) {
  std::size_t n = 0;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) ++n;
  return n;
}

std::size_t size_or_zero(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

// A CancelCheck saying stop from its `stop_at`-th call on; `at_stop` runs
// once, at that call, to look at the target while the apply is stopped there.
struct StopAfter {
  int stop_at;
  std::function<void()> at_stop;
  int calls = 0;

  CancelCheck check() {
    return [this]() -> Status {
      if (++calls < stop_at) return {};
      if (calls == stop_at && at_stop) at_stop();
      return cancelled("the test gave up");
    };
  }
};

TEST(ApplyBoundsTest, ACancelStopsBeforeTheNextEntryAndTakesBackWhatWasWritten) {
  constexpr int kFiles = 2000;
  LayerBuilder layer;
  for (int i = 0; i < kFiles; ++i) layer.file("d" + std::to_string(i / 100) + "/f" + std::to_string(i), "x");
  // ~3 MiB of tar: three chunks, so only a check per entry can stop it at 50.
  const std::string tar = layer.tar();
  for (const auto mode : {WhiteoutMode::kDelete, WhiteoutMode::kOverlay}) {
    test::TempDir dir;
    std::size_t written_at_stop = 0;
    StopAfter stop{.stop_at = 50, .at_stop = [&] { written_at_stop = count_entries(dir.path()); }};
    auto r = apply_blob(tar, kMediaTypeLayerTar, dir.path(), {.whiteouts = mode, .cancelled = stop.check()});
    EXPECT_CODE(r, Code::kCancelled);
    EXPECT_NE(r.status().message().find("the test gave up"), std::string::npos) << r.status().to_string();
    EXPECT_EQ(stop.calls, 50) << "nothing is asked, so nothing is done, after the stop";
    EXPECT_GT(written_at_stop, 0u);
    EXPECT_LT(written_at_stop, 60u) << "of " << kFiles << " files";
    EXPECT_TRUE(fs::is_empty(dir.path())) << count_entries(dir.path()) << " entries left behind";
  }
}

TEST(ApplyBoundsTest, ACancelStopsInsideALargeFileBody) {
  constexpr std::size_t kBig = 64 << 20;
  const std::string blob = test::gzip(LayerBuilder().file("big", std::string(kBig, 'z')).tar(), 1);
  test::TempDir dir;
  std::size_t written_at_stop = 0;
  // One check before the entry, then one per 1 MiB chunk: the fourth call
  // is a few MiB into the body.
  StopAfter stop{.stop_at = 4, .at_stop = [&] { written_at_stop = size_or_zero(dir / "big"); }};
  auto r = apply_blob(blob, kMediaTypeLayerGzip, dir.path(), {.cancelled = stop.check()});
  EXPECT_CODE(r, Code::kCancelled);
  EXPECT_LT(written_at_stop, kBig / 8);
  EXPECT_EQ(stop.calls, 4);
  EXPECT_FALSE(fs::exists(dir / "big"));
}

TEST(ApplyBoundsTest, AGzipBombOverMaxApplyBytesIsRefusedNamingTheBound) {
  // 64 MiB of zeros in ~64 KiB of gzip (10 GiB would be ~10 MiB).
  const std::string tar = LayerBuilder().file("a", "small").file("bomb", std::string(64 << 20, '\0')).tar();
  const std::string bomb = test::gzip(tar, 9);
  ASSERT_LT(bomb.size(), 256u << 10);
  test::TempDir dir;
  auto r = apply_blob(bomb, kMediaTypeLayerGzip, dir.path(), {.max_bytes = 4 << 20});
  EXPECT_CODE(r, Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("max_apply_bytes = 4194304"), std::string::npos)
      << r.status().to_string();
  EXPECT_TRUE(fs::is_empty(dir.path()));

  // A layer exactly at the bound is within it.
  test::TempDir exact;
  const std::string small = LayerBuilder().file("a", "small").tar();
  ASSERT_OK(test::status_of(apply_blob(test::gzip(small), kMediaTypeLayerGzip, exact.path(),
                                       {.max_bytes = static_cast<int64_t>(small.size())})));
  EXPECT_EQ(test::read_file(exact / "a"), "small");
}

TEST(ApplyBoundsTest, MoreEntriesThanMaxApplyEntriesAreRefused) {
  LayerBuilder layer;
  for (int i = 0; i < 20; ++i) layer.file("f" + std::to_string(i), "x");
  const std::string tar = layer.tar();
  test::TempDir dir;
  auto r = apply_blob(tar, kMediaTypeLayerTar, dir.path(), {.max_entries = 10});
  EXPECT_CODE(r, Code::kResourceExhausted);
  EXPECT_NE(r.status().message().find("max_apply_entries = 10"), std::string::npos) << r.status().to_string();
  EXPECT_TRUE(fs::is_empty(dir.path()));
  ASSERT_OK(test::status_of(apply_blob(tar, kMediaTypeLayerTar, dir.path(), {.max_entries = 20})));
  EXPECT_EQ(count_entries(dir.path()), 20u);
}

TEST(ApplySlotsTest, RefusesBeyondTheBoundAndFreesASlotWithItsHolder) {
  ApplySlots slots(2);
  auto a = slots.take();
  ASSERT_OK(test::status_of(a));
  {
    auto b = slots.take();
    ASSERT_OK(test::status_of(b));
    auto c = slots.take();
    EXPECT_CODE(c, Code::kResourceExhausted);
    EXPECT_NE(c.status().message().find("max_concurrent_applies = 2"), std::string::npos)
        << c.status().to_string();
  }
  EXPECT_OK(test::status_of(slots.take()));
}

}  // namespace
}  // namespace berth::diff
