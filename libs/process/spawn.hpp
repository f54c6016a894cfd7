// Starting a program as a child process, with posix_spawn (vfork semantics:
// cheap even from a large daemon, and safe in a threaded one).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::process {

// What a child's standard stream is connected to.
struct Stream {
  enum class Kind { kNull, kPipe, kFd, kInherit };
  Kind kind = Kind::kNull;
  int fd = -1;  // kFd: the caller's descriptor, dup'ed into the child

  static Stream null() { return {}; }
  static Stream pipe() { return {Kind::kPipe, -1}; }
  static Stream inherit() { return {Kind::kInherit, -1}; }
  static Stream of(int fd) { return {Kind::kFd, fd}; }
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH unless it has a '/'
  std::string cwd;                // "" : ours
  // Replaces the environment when set; inherits ours otherwise.
  std::optional<std::vector<std::string>> env;
  Stream in;
  Stream out;
  Stream err;
  // setsid() in the child: it gets a session (and process group) of its own,
  // so a terminal's signals aimed at us do not reach it.
  bool new_session = false;
};

// A started child. The pipe ends (for Stream::pipe()) are ours; the child is
// not waited for here: whoever reaps it (wait(), or a subreaper's loop) must.
struct Child {
  pid_t pid = -1;
  UniqueFd in;   // write end of the child's stdin
  UniqueFd out;  // read end of its stdout
  UniqueFd err;  // read end of its stderr
};

// Every descriptor not named in the options is closed in the child (they
// are all O_CLOEXEC in Berth). NotFound naming the program when it does not
// exist or cannot be executed; Internal for other failures.
Result<Child> spawn(const SpawnOptions& options);

// waitpid() for `pid`, retrying on EINTR: the raw wait status.
Result<int> wait(pid_t pid);

// A wait status as an exit code: the code, or 128 + the signal, as a shell.
int exit_code_of(int wait_status);

}  // namespace berth::process
