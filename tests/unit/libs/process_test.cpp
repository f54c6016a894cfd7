// libs/process: spawning children and running short commands.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "process/run.hpp"
#include "process/spawn.hpp"

namespace berth::process {
namespace {

TEST(ProcessRun, CollectsOutputAndExitCode) {
  auto out = run({.argv = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->out, "out\n");
  EXPECT_EQ(out->err, "err\n");
  EXPECT_EQ(out->exit_code, 3);
  EXPECT_EQ(out->signal, 0);
}

TEST(ProcessRun, FeedsStdinLargerThanAPipe) {
  const std::string input(1 << 20, 'x');
  auto out = run({.argv = {"wc", "-c"}, .stdin_data = input});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(std::stoul(out->out), input.size());
}

TEST(ProcessRun, ReportsASignal) {
  auto out = run({.argv = {"/bin/sh", "-c", "kill -TERM $$"}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->signal, SIGTERM);
  EXPECT_EQ(out->exit_code, 128 + SIGTERM);
}

TEST(ProcessRun, TimeoutKillsAndSaysSo) {
  auto out = run({.argv = {"sleep", "10"}, .timeout = std::chrono::milliseconds(100)});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kDeadlineExceeded);
  EXPECT_NE(out.status().message().find("sleep 10"), std::string::npos);
}

TEST(ProcessRun, MissingProgramIsNotFound) {
  auto out = run({.argv = {"/nonexistent/berth-tool"}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kNotFound);
  EXPECT_NE(out.status().message().find("/nonexistent/berth-tool"), std::string::npos);
}

TEST(ProcessRun, OutputIsCapped) {
  auto out = run({.argv = {"head", "-c", "100000", "/dev/zero"}, .max_output = 1000});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->out.size(), 1000u);
  EXPECT_EQ(out->exit_code, 0);  // read to the end, not cut off
}

TEST(ProcessRun, RunsInCwdWithTheGivenEnvironment) {
  auto out = run({.argv = {"/bin/sh", "-c", "pwd; echo $BERTH_X"}, .cwd = "/tmp", .env = {{"BERTH_X=42"}}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->out, "/tmp\n42\n");
}

TEST(ProcessSpawn, PassesOnlyTheNamedDescriptors) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // deliberately not CLOEXEC: spawn must close it anyway
  auto child = spawn({.argv = {"/bin/sh", "-c", "ls /proc/self/fd | wc -l"}, .out = Stream::pipe()});
  ASSERT_TRUE(child.ok());
  std::string got;
  char buf[64];
  ssize_t n;
  while ((n = ::read(child->out.get(), buf, sizeof buf)) > 0) got.append(buf, n);
  ASSERT_TRUE(wait(child->pid).ok());
  // 0, 1, 2 and ls's own directory fd.
  EXPECT_EQ(std::stoi(got), 4);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ProcessSpawn, DupsAGivenFd) {
  char path[] = "/tmp/berth-process-XXXXXX";
  UniqueFd file(::mkstemp(path));
  ASSERT_TRUE(file);
  ::unlink(path);
  auto child = spawn({.argv = {"/bin/echo", "to the file"}, .out = Stream::of(file.get())});
  ASSERT_TRUE(child.ok());
  auto status = wait(child->pid);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(exit_code_of(*status), 0);
  char buf[64] = {};
  ASSERT_GT(::pread(file.get(), buf, sizeof buf - 1, 0), 0);
  EXPECT_STREQ(buf, "to the file\n");
}

}  // namespace
}  // namespace berth::process
