// A berthd on a fresh temporary root for each test, driven with Debian's ctr.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "harness.hpp"

namespace berth::test {

class CtrFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(daemon_.start({}, why)) << why;
  }
  void restart(int sig) {
    daemon_.stop(sig);
    std::string why;
    ASSERT_TRUE(daemon_.start({}, why)) << why;
  }
  // ctr that must succeed; returns its output.
  std::string ok(const std::vector<std::string>& args) {
    auto r = daemon_.ctr(args);
    EXPECT_EQ(r.exit_code, 0) << "ctr " << args[0] << " failed:\n"
                              << r.output << "\nberthd log:\n"
                              << daemon_.log();
    return r.output;
  }

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path()};
};

}  // namespace berth::test
