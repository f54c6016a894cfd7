// Durability and locking against a second process (tests/unit/metadata/helper.cpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "../temp_dir.hpp"
#include "keys.hpp"
#include "rocks_metadata.hpp"
#include "status_matchers.hpp"

namespace berth::metadata {
namespace {

using berth::test::TempDir;

// The helper runs as a fresh exec: a fork of this (threaded, RocksDB-using)
// process could inherit locks held by threads that do not exist in the child.
class Helper {
 public:
  explicit Helper(const std::vector<std::string>& args) {
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<char*> argv;
    std::string path = BERTH_METADATA_HELPER;
    argv.push_back(path.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~Helper() {
    close_stdin();
    if (stdout_ >= 0) close(stdout_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  Helper(const Helper&) = delete;
  Helper& operator=(const Helper&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0; }
  // True once the child printed `want` on a line of its own; the child's log
  // lines go to stdout too and are skipped.
  bool wait_for_line(std::string_view want) {
    std::string line;
    char c;
    while (::read(stdout_, &c, 1) == 1) {
      if (c != '\n') {
        line += c;
      } else if (line == want) {
        return true;
      } else {
        line.clear();
      }
    }
    return false;
  }
  void close_stdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  bool reaped_ = false;
};

void expect_survived_kill(bool sync_writes) {
  TempDir dir;
  constexpr int kCount = 100;
  Helper child(
      {"commit-and-kill", (dir / "meta.db").string(), sync_writes ? "1" : "0", std::to_string(kCount)});
  ASSERT_TRUE(child.started());
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "helper exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto md = RocksMetadata::open((dir / "meta.db"), {});
  ASSERT_TRUE(md.ok()) << md.status().to_string();
  ASSERT_OK((*md)->view([&](Transaction& tx) {
    auto ns = (*md)->namespaces().get(tx, "crashed");
    if (!ns.ok()) return ns.status();
    EXPECT_EQ(ns->labels, (Labels{{"committed", "before-kill"}}));
    int leases = 0;
    BERTH_RETURN_IF_ERROR(
        tx.scan(keys::kind_prefix("crashed", keys::kLeases), [&](std::string_view, std::string_view) {
          ++leases;
          return true;
        }));
    EXPECT_EQ(leases, kCount);
    return ok_status();
  }));
}

TEST(MetadataProcess, CommitsSurviveSigkillWithSyncWrites) { expect_survived_kill(true); }

// Without fsync a commit still reaches the kernel before update() returns, so
// only a machine crash, not a process crash, can lose it.
TEST(MetadataProcess, CommitsSurviveSigkillWithoutSyncWrites) { expect_survived_kill(false); }

TEST(MetadataProcess, OpenFailsWhileAnotherProcessHoldsTheDatabase) {
  TempDir dir;
  Helper holder({"hold", (dir / "meta.db").string()});
  ASSERT_TRUE(holder.started());
  ASSERT_TRUE(holder.wait_for_line("ready"));

  auto md = RocksMetadata::open((dir / "meta.db"), {});
  ASSERT_FALSE(md.ok());
  EXPECT_EQ(md.status().code(), Code::kUnavailable) << md.status().to_string();
  EXPECT_NE(md.status().message().find((dir / "meta.db").string()), std::string::npos)
      << md.status().message();
  EXPECT_NE(md.status().message().find("database is locked"), std::string::npos) << md.status().message();

  holder.close_stdin();
  const int status = holder.wait();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto after = RocksMetadata::open((dir / "meta.db"), {});
  EXPECT_TRUE(after.ok()) << after.status().to_string();
}

}  // namespace
}  // namespace berth::metadata
