// 128 layers, as deep as the images containerd still mounts: every layer
// rewrites one common file and adds its own; later layers delete files of
// earlier ones (a whiteout written into the layer, and a deletion through
// the mount). The top of the stack must show exactly the result.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "snapshotter_fixture.hpp"

namespace berth::snapshot::test {
namespace {

constexpr int kLayers = 128;
constexpr int kWhiteoutLayer = 64;  // whites out file-10 and dir-7
constexpr int kDeleteLayer = 100;   // deletes file-20 through its mount

template <class T>
class DeepStack : public SnapshotterTest<T> {};
TYPED_TEST_SUITE(DeepStack, SnapshotterTypes, TypeNames);

std::string layer_name(int i) { return "layer-" + std::to_string(i); }

TYPED_TEST(DeepStack, TopOf128LayersShowsEveryChange) {
  auto& sn = this->sn();
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    SCOPED_TRACE(layer_name(i));
    const std::string key = layer_name(i) + "-active";
    auto mounts = sn.prepare(key, parent, {});
    ASSERT_OK(mounts.status());
    {
      auto m = this->mount(*mounts);
      ASSERT_OK(m.status());
      ASSERT_OK(write_file(m->path() / "common", "layer " + std::to_string(i)));
      ASSERT_OK(write_file(m->path() / ("file-" + std::to_string(i)), std::to_string(i)));
      if (i == 7) {
        std::filesystem::create_directories(m->path() / "dir-7" / "sub");
        ASSERT_OK(write_file(m->path() / "dir-7" / "sub" / "x", "x"));
      }
      if (i == kDeleteLayer) {
        ASSERT_TRUE(std::filesystem::remove(m->path() / "file-20"));
      }
      ASSERT_OK(m->release());
    }
    if (i == kWhiteoutLayer) {
      ASSERT_OK(TypeParam::whiteout(*mounts, "file-10"));
      ASSERT_OK(TypeParam::whiteout(*mounts, "dir-7"));
    }
    ASSERT_OK(sn.commit(layer_name(i), key, {}));
    parent = layer_name(i);
  }

  auto check = [&](const std::filesystem::path& top) {
    EXPECT_EQ(read_file(top / "common"), "layer " + std::to_string(kLayers - 1));
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(top)) names.insert(e.path().filename());
    for (int i = 0; i < kLayers; ++i) {
      const std::string name = "file-" + std::to_string(i);
      const bool gone = i == 10 || i == 20;
      EXPECT_EQ(names.count(name), gone ? 0u : 1u) << name;
      if (!gone) {
        EXPECT_EQ(read_file(top / name), std::to_string(i)) << name;
      }
    }
    EXPECT_EQ(names.count("dir-7"), 0u);
    EXPECT_EQ(names.size(), static_cast<std::size_t>(kLayers - 2 + 1));  // + common
  };

  auto view = sn.view("top-view", parent, {});
  ASSERT_OK(view.status());
  {
    auto m = this->mount(*view);
    ASSERT_OK(m.status());
    check(m->path());
  }
  // A writable snapshot on all 128 layers mounts too, and writes land.
  auto active = sn.prepare("top-active", parent, {});
  ASSERT_OK(active.status());
  if ((*active)[0].type == "overlay") {
    // The case this test is for: options past the kernel's one-page limit,
    // which mount_all must shorten with relative lowerdirs.
    std::size_t data = 0;
    for (const auto& o : (*active)[0].options) data += o.size() + 1;
    EXPECT_GT(data, static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)));
  }
  auto m = this->mount(*active);
  ASSERT_OK(m.status());
  check(m->path());
  ASSERT_OK(write_file(m->path() / "common", "top"));
  EXPECT_EQ(read_file(m->path() / "common"), "top");

  // A middle layer still shows its own state.
  auto mid = sn.view("mid-view", layer_name(kWhiteoutLayer - 1), {});
  ASSERT_OK(mid.status());
  auto mm = this->mount(*mid);
  ASSERT_OK(mm.status());
  EXPECT_EQ(read_file(mm->path() / "common"), "layer " + std::to_string(kWhiteoutLayer - 1));
  EXPECT_EQ(read_file(mm->path() / "file-10"), "10");
  EXPECT_EQ(read_file(mm->path() / "dir-7" / "sub" / "x"), "x");
}

}  // namespace
}  // namespace berth::snapshot::test
