// The typed fixture of the snapshotter conformance suite: each parameter
// names a snapshotter plugin module; the fixture loads it, initialises it
// under a fresh root and can close and reopen it on the same root.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "berth/mount.hpp"
#include "berth/snapshotter.hpp"
#include "plugin_module_test.hpp"
#include "status_matchers.hpp"

namespace berth::snapshot::test {

// The native snapshotter: a deletion in a layer is simply gone from its copy.
struct Native {
  static constexpr const char* kModule = BERTH_SNAPSHOTTER_NATIVE_PLUGIN;
  static constexpr const char* kId = "native";
  // Deletes `rel` in the unmounted active snapshot with these mounts.
  static Status whiteout(const std::vector<Mount>& mounts, const std::string& rel) {
    const auto path = std::filesystem::path(mounts.at(0).source) / rel;
    std::error_code ec;
    if (!std::filesystem::remove_all(path, ec) || ec) return internal("remove " + path.string());
    return {};
  }
};

// The overlay snapshotter: a deletion is a whiteout, a 0/0 character device
// in the upper directory, as a differ applying an OCI layer writes it.
struct Overlay {
  static constexpr const char* kModule = BERTH_SNAPSHOTTER_OVERLAY_PLUGIN;
  static constexpr const char* kId = "overlayfs";
  static Status whiteout(const std::vector<Mount>& mounts, const std::string& rel) {
    const Mount& m = mounts.at(0);
    std::string upper = m.type == "overlay" ? mount_option(m.options, "upperdir") : m.source;
    const auto path = std::filesystem::path(upper) / rel;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return internal("remove " + path.string());
    if (::mknod(path.c_str(), S_IFCHR | 0000, ::makedev(0, 0)) != 0) {
      return errno_status("mknod " + path.string(), errno);
    }
    return {};
  }
};

inline Status write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return internal("write " + path.string());
  return {};
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <class T>
class SnapshotterTest : public berth::test::PluginModuleTest {
 protected:
  SnapshotterTest() : PluginModuleTest(T::kModule, std::string(kSnapshotterPluginType), T::kId) {}

  void SetUp() override {
    PluginModuleTest::SetUp();
    if (HasFatalFailure()) return;
    mnt_ = dir_.path() / "mnt";
    std::filesystem::create_directories(mnt_);
    open(plugin().default_config);
  }
  void TearDown() override {
    close();
    PluginModuleTest::TearDown();
  }

  void open(const std::string& config) {
    config_ = config;
    berth::test::FakeInitContext ctx = context(root_, config);
    InitResult inst = init(ctx);
    ASSERT_TRUE(inst.ok()) << inst.status().to_string();
    inst_ = std::move(inst).value();
    sn_ = std::dynamic_pointer_cast<Snapshotter>(inst_);
    ASSERT_NE(sn_, nullptr);
  }
  void close() {
    sn_.reset();
    if (inst_) EXPECT_OK(inst_->close());
    inst_.reset();
  }
  void reopen() { reopen_with(config_); }
  void reopen_with(const std::string& config) {
    close();
    open(config);
  }

  Snapshotter& sn() { return *sn_; }

  Result<TempMount> mount(const std::vector<Mount>& mounts) { return TempMount::create(mounts, mnt_); }

  // An active snapshot `key` on `parent` with `files` written and `removed`
  // deleted through its mount, committed as `name`.
  Status layer(const std::string& name, const std::string& parent,
               const std::vector<std::pair<std::string, std::string>>& files,
               const std::vector<std::string>& removed = {}) {
    const std::string key = name + "-active";
    auto mounts = sn().prepare(key, parent, {});
    if (!mounts.ok()) return mounts.status();
    {
      auto m = mount(*mounts);
      if (!m.ok()) return m.status();
      for (const auto& [path, content] : files) {
        std::filesystem::create_directories((m->path() / path).parent_path());
        BERTH_RETURN_IF_ERROR(write_file(m->path() / path, content));
      }
      for (const auto& path : removed) {
        std::error_code ec;
        if (!std::filesystem::remove_all(m->path() / path, ec) || ec) return internal("remove " + path);
      }
      BERTH_RETURN_IF_ERROR(m->release());
    }
    return sn().commit(name, key, {});
  }

  std::vector<std::string> walk_names(const std::vector<std::string>& filters) {
    std::vector<std::string> names;
    EXPECT_OK(sn().walk(filters, [&](const SnapshotInfo& info) {
      names.push_back(info.name);
      return true;
    }));
    std::sort(names.begin(), names.end());
    return names;
  }

  std::filesystem::path mnt_;
  std::string config_;
  std::shared_ptr<Instance> inst_;
  std::shared_ptr<Snapshotter> sn_;
};

using SnapshotterTypes = ::testing::Types<Native, Overlay>;

class TypeNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return T::kId;
  }
};

}  // namespace berth::snapshot::test
