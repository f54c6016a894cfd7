// The content store against a second process (tests/unit/content/helper.cpp):
// an ingest survives its writer being killed with -9, and a ref held by one
// process is Unavailable to another.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <vector>

#include "../temp_dir.hpp"
#include "local_store.hpp"
#include "test_util.hpp"

namespace berth::content {
namespace {

using berth::test::TempDir;
using namespace berth::content::test;

// The helper runs as a fresh exec: a fork of this threaded test process could
// inherit locks held by threads that do not exist in the child.
class Helper {
 public:
  explicit Helper(const std::vector<std::string>& args) {
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0) return;
    if (pipe2(out, O_CLOEXEC) != 0) {
      close(in[0]);
      close(in[1]);
      return;
    }
    std::string path = BERTH_CONTENT_HELPER;
    std::vector<std::string> copy = args;
    std::vector<char*> argv{path.data()};
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

TEST(ContentProcess, AnIngestResumesAfterItsWriterIsKilled) {
  TempDir dir;
  const auto root = (dir / "root").string();
  constexpr int64_t kTotal = 3'000'000;
  constexpr int64_t kPart = 1'234'567;
  constexpr uint32_t kSeed = 42;
  Helper child({"write-and-kill", root, "layer-1", std::to_string(kTotal), std::to_string(kPart),
                std::to_string(kSeed)});
  ASSERT_TRUE(child.started());
  const int status = child.wait();
  ASSERT_TRUE(WIFSIGNALED(status)) << "helper exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto store = LocalStore::open(root);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto recorded = (*store)->status("layer-1");
  ASSERT_TRUE(recorded.ok()) << recorded.status().to_string();
  EXPECT_EQ(recorded->offset, kPart);
  EXPECT_EQ(recorded->total, kTotal);

  // The dead process's lock went with it.
  auto w = (*store)->writer("layer-1", 0, "");
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ((*w)->status()->offset, kPart);
  const std::string data = pattern(kTotal, kSeed);
  ASSERT_OK((*w)->write(std::string_view(data).substr(kPart)));
  auto d = (*w)->commit(kTotal, sha256_of(data));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  auto back = read_blob(**store, *d);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_TRUE(*back == data);
}

TEST(ContentProcess, ARefHeldByAnotherProcessIsUnavailable) {
  TempDir dir;
  const auto root = (dir / "root").string();
  Helper holder({"hold", root, "held"});
  ASSERT_TRUE(holder.started());
  ASSERT_TRUE(holder.wait_for_line("ready"));

  auto store = LocalStore::open(root);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto w = (*store)->writer("held", 0, "");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Code::kUnavailable) << w.status().to_string();
  EXPECT_NE(w.status().message().find("ref \"held\" locked"), std::string::npos) << w.status().message();
  EXPECT_CODE((*store)->abort("held"), Code::kUnavailable);
  // Reading the status needs no lock.
  EXPECT_TRUE((*store)->status("held").ok());

  holder.close_stdin();
  const int status = holder.wait();
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto again = (*store)->writer("held", 0, "");
  EXPECT_TRUE(again.ok()) << again.status().to_string();
}

}  // namespace
}  // namespace berth::content
