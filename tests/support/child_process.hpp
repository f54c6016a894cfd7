// A helper program run as a child process, with pipes to its stdin and stdout.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace berth::test {

// The child runs as a fresh exec: a fork of a threaded test process could
// inherit locks held by threads that do not exist in the child. A child still
// running when this is destroyed is killed with SIGKILL and reaped.
class ChildProcess {
 public:
  ChildProcess(std::string path, const std::vector<std::string>& args);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // True once the child printed `want` on a line of its own; other lines
  // (its log, say) are skipped. False if its stdout closes first.
  bool wait_for_line(std::string_view want);
  void close_stdin();
  // Waits for the child to end; its waitpid() status.
  int wait();

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  bool reaped_ = false;
};

// Runs `command` with /bin/sh, stderr with stdout: its exit status (-1 when
// it did not exit) and output.
int run_shell(const std::string& command, std::string& output);

}  // namespace berth::test
