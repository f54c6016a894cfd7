// A berthd on a fresh temporary root for each test, driven with Debian's ctr
// (and Berth's own CLI).
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

  // Berth's own CLI against this daemon: berth --address SOCK args...
  CommandResult berth(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{BERTH_CLI_PATH, "--address", daemon_.address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  // berth that must succeed; returns its output.
  std::string berth_ok(const std::vector<std::string>& args) const {
    auto r = berth(args);
    EXPECT_EQ(r.exit_code, 0) << "berth " << args[0] << " failed:\n"
                              << r.output << "\nberthd log:\n"
                              << daemon_.log();
    return r.output;
  }

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path()};
};

}  // namespace berth::test
