// A metadata database on a fresh temp dir for each test, with raw key access
// for the tests that check what is stored under which key.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rocks_metadata.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::metadata::test {

class DbFixture : public ::testing::Test {
 protected:
  void SetUp() override { md_ = open(); }

  std::shared_ptr<RocksMetadata> open(bool sync = false) {
    auto r = RocksMetadata::open(db_path(), {.sync_writes = sync});
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : nullptr;
  }
  [[nodiscard]] std::filesystem::path db_path() const { return dir_.path() / "meta.db"; }

  Status put(const std::string& key, const std::string& value) {
    return md_->update([&](Transaction& tx) { return tx.put(key, value); });
  }
  std::optional<std::string> read(const std::string& key) {
    std::optional<std::string> out;
    EXPECT_OK(md_->view([&](Transaction& tx) {
      auto v = tx.get(key);
      if (!v.ok()) return v.status();
      out = *v;
      return ok_status();
    }));
    return out;
  }
  std::vector<std::string> scan_keys(const std::string& prefix) {
    std::vector<std::string> out;
    EXPECT_OK(md_->view([&](Transaction& tx) {
      return tx.scan(prefix, [&](std::string_view k, std::string_view) {
        out.emplace_back(k);
        return true;
      });
    }));
    return out;
  }

  berth::test::TempDir dir_;
  std::shared_ptr<RocksMetadata> md_;
};

}  // namespace berth::metadata::test
