// Running a program to completion and collecting what it printed: for short
// tools (the OCI runtime's create/kill/delete, a shim's `start`).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth::process {

struct Command {
  std::vector<std::string> argv;
  std::string cwd;
  std::optional<std::vector<std::string>> env;  // replaces ours when set
  std::string stdin_data;                       // written to its stdin, then closed
  // Killed (SIGKILL) when it runs longer; zero: no limit.
  std::chrono::milliseconds timeout{0};
  // Output past this many bytes per stream is read and dropped.
  std::size_t max_output = 1 << 20;
};

struct Output {
  int exit_code = 0;  // the code, or 128 + the signal
  int signal = 0;     // the signal that ended it, or 0
  std::string out;
  std::string err;
};

// Runs `command` and waits for it and for both its streams to close. A
// program that leaves a child holding its stdout or stderr makes run() wait
// for that child too (up to the timeout): hand such programs other streams
// (spawn()). NotFound when the program does not exist; DeadlineExceeded,
// naming the program, when the timeout killed it. A non-zero exit is not an
// error here: the caller reads exit_code.
Result<Output> run(const Command& command);

// The command line, shell-like, for messages.
std::string describe(const std::vector<std::string>& argv);

}  // namespace berth::process
