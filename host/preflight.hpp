// Pre-flight: loads plugin files in a forked child before berthd loads them
// itself, so a library whose static constructors crash, exit or hang takes
// down that child, not the daemon.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::host {

// How long one file may take to load in the pre-flight child. A plugin loads
// in milliseconds (the largest, with RocksDB or gRPC behind it, in ~20 ms on
// a quiet machine); 5 s leaves room for a cold page cache and a machine busy
// with its boot, and is still short enough that a hung plugin delays the
// daemon's start visibly rather than for good.
inline constexpr std::chrono::milliseconds kPreflightTimeLimit{5000};

struct PreflightVerdict {
  enum class Kind {
    kPassed,     // loaded (whatever the probe said about it): safe to load in berthd
    kLoadError,  // the probe failed cleanly (dlopen error, bad table): safe, not remembered
    kCrashed,    // number = the signal
    kExited,     // number = the exit status
    kHung,       // number = the time limit in ms
    kUnchecked,  // no child could run (fork failed): berthd loads it unprotected, as before pre-flight
  };
  Kind kind = Kind::kPassed;
  int number = 0;
  std::string text;  // kLoadError: the probe's message; kUnchecked: why no child ran

  // Whether berthd may load the file itself.
  [[nodiscard]] bool safe() const {
    return kind == Kind::kPassed || kind == Kind::kLoadError || kind == Kind::kUnchecked;
  }
  // Whether the verdict depends on the file alone, so it may be remembered.
  // A clean load error may depend on other files (a missing dependency).
  [[nodiscard]] bool lasting() const { return kind != Kind::kLoadError && kind != Kind::kUnchecked; }
  // For an unsafe verdict: "crashed with signal 11 (Segmentation fault) ...".
  [[nodiscard]] std::string describe() const;
};

// Runs `probe` on each file in order in a forked child; a child that dies or
// hangs on a file is replaced by a new one for the files after it. The child
// starts at construction and runs ahead while the caller works on the
// verdicts it already has.
//
// berthd may have threads when it forks (tests certainly do). The child only
// runs the probe (dlopen and the entry point: what berthd would do next
// anyway), writes to a pipe with write(2) and leaves with _exit(), never
// running the parent's atexit handlers; glibc makes malloc and the dynamic
// loader's lock usable in a forked child.
class PreflightRun {
 public:
  using Probe = std::function<Status(const std::filesystem::path&)>;

  PreflightRun(std::vector<std::filesystem::path> files, Probe probe,
               std::chrono::milliseconds limit = kPreflightTimeLimit);
  ~PreflightRun();  // kills and reaps a child still running
  PreflightRun(const PreflightRun&) = delete;
  PreflightRun& operator=(const PreflightRun&) = delete;

  // The verdict on files[i]. Ask in order: 0, 1, 2, ...
  PreflightVerdict verdict(std::size_t i);

  // Children forked so far.
  [[nodiscard]] int children() const { return children_; }

 private:
  void start_child(std::size_t first);
  void unchecked_from(std::size_t first, const Status& why);
  void read_messages(int64_t now_ns);
  void on_line(const std::string& line);
  // The child closed its pipe: reap it and give the file it was on its verdict.
  void reap_child(int64_t deadline_ns);
  void kill_child();

  std::vector<std::filesystem::path> files_;
  Probe probe_;
  std::chrono::milliseconds limit_;
  std::vector<std::optional<PreflightVerdict>> verdicts_;
  std::vector<std::optional<int64_t>> began_ns_;  // when the child started each file (CLOCK_MONOTONIC)
  std::optional<int> exit_status_;                // the child's file called exit() with this status
  pid_t pid_ = -1;
  UniqueFd pipe_;
  std::string buffer_;
  int64_t last_news_ns_ = 0;  // the child's start or its last message
  int children_ = 0;
};

}  // namespace berth::host
