// A berthd on a fresh temporary root for each test, driven with Debian's ctr
// (and Berth's own CLI).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../support/temp_dir.hpp"
#include "harness.hpp"

namespace berth::test {

class CtrFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(daemon_.start(daemon_args(), why)) << why;
  }
  void restart(int sig) {
    daemon_.stop(sig);
    std::string why;
    ASSERT_TRUE(daemon_.start(daemon_args(), why)) << why;
  }
  // berthd's extra flags.
  virtual std::vector<std::string> daemon_args() { return {}; }
  // berthd with its garbage collector running only when asked (kGcWhenAskedToml).
  std::vector<std::string> collect_only_when_asked() {
    const auto path = dir_.path() / "gc-when-asked.toml";
    std::ofstream(path) << "version = 2\n" << kGcWhenAskedToml;
    return {"--config", path.string()};
  }
  // ctr that must succeed; returns its output.
  std::string ok(const std::vector<std::string>& args) {
    auto r = daemon_.ctr(args);
    EXPECT_EQ(r.exit_code, 0) << "ctr " << args[0] << " failed:\n"
                              << r.output << "\nberthd log:\n"
                              << daemon_.log();
    return r.output;
  }

  // Makes the busybox test image NAME as an OCI archive at `archive`
  // (tests/support/make_oci_image.sh; `env` holds its settings, such as
  // "EXTRA_LAYERS=2:1"). Returns the manifest's digest; "" (with a test
  // failure) if it failed.
  static std::string make_test_image(const std::filesystem::path& archive, const std::string& name,
                                     const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"bash", BERTH_MAKE_OCI_IMAGE, archive.string(), name});
    auto made = run(argv);
    EXPECT_EQ(made.exit_code, 0) << made.output;
    if (made.exit_code != 0) return "";
    return made.output.substr(0, made.output.find('\n'));
  }
  // make_test_image, then imported with ctr.
  std::string import_test_image(const std::filesystem::path& archive, const std::string& name) {
    std::string manifest = make_test_image(archive, name);
    if (!manifest.empty()) ok({"images", "import", archive.string()});
    return manifest;
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

  // `ctr events` running in the background, its output in a file; stopped
  // (by its PID) when the object goes.
  class CtrEvents {
   public:
    CtrEvents(const Berthd& daemon, std::filesystem::path log) : log_(std::move(log)) {
      auto started =
          run({"/bin/sh", "-c",
               "ctr -a '" + daemon.address() + "' events >'" + log_.string() + "' 2>&1 & echo $!"});
      if (started.exit_code == 0) pid_ = std::stoi(started.output);
    }
    ~CtrEvents() {
      if (pid_ > 0) ::kill(pid_, SIGTERM);
    }
    CtrEvents(const CtrEvents&) = delete;
    CtrEvents& operator=(const CtrEvents&) = delete;

    // What ctr printed so far.
    [[nodiscard]] std::string output() const {
      std::ifstream in(log_);
      return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
    // ctr subscribes in the background: runs `probe` (a change that makes an
    // event) until `topic` shows, so later changes are not missed. False
    // after 5 s without it.
    bool subscribe(const std::function<void(int)>& probe, const std::string& topic) const {
      for (int i = 0; i < 100; ++i) {
        probe(i);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (output().find(topic) != std::string::npos) return true;
      }
      return false;
    }
    // The output once it holds `text`, or after 5 s whatever it holds.
    [[nodiscard]] std::string wait_for(const std::string& text) const {
      std::string seen;
      for (int i = 0; i < 100; ++i) {
        seen = output();
        if (seen.find(text) != std::string::npos) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return seen;
    }

   private:
    std::filesystem::path log_;
    pid_t pid_ = -1;
  };

  TempDir dir_;
  Berthd daemon_{BERTHD_PATH, dir_.path()};
};

}  // namespace berth::test
