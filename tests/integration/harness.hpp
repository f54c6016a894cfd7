// Runs the real berthd and real clients (Debian's ctr) for integration tests.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace berth::test {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs argv to completion (no shell), capturing its output.
CommandResult run(const std::vector<std::string>& argv);

// A berthd child process on a private root/state/socket, stopped (SIGTERM,
// then SIGKILL) when the object dies.
// A config section whose garbage collector runs only when asked (a delete
// with --sync, `berth gc`), for tests of the API itself: their clients make
// content and snapshots nothing references (`ctr content ingest`, a
// Snapshots.Prepare without a lease), which containerd's collector takes
// too, on the same schedule.
inline constexpr const char* kGcWhenAskedToml =
    "[plugins.\"io.containerd.gc.v1.scheduler\"]\n"
    "  deletion_threshold = 1000000000\n"
    "  mutation_threshold = 0\n"
    "  startup_delay = \"0s\"\n";

class Berthd {
 public:
  // `dir` holds root/, state/, the socket and the log.
  Berthd(std::filesystem::path berthd, std::filesystem::path dir);
  ~Berthd();
  Berthd(const Berthd&) = delete;
  Berthd& operator=(const Berthd&) = delete;

  // Starts with extra flags; waits up to `wait` for the socket to accept.
  // Returns false (with the log in `why`) if the daemon exited or never answered.
  bool start(const std::vector<std::string>& extra_args, std::string& why,
             std::chrono::seconds wait = std::chrono::seconds(10));
  // Sends `sig` and waits for the exit; returns the exit status (or 128+signal).
  int stop(int sig = SIGTERM);
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  [[nodiscard]] std::string address() const { return (dir_ / "b.sock").string(); }
  [[nodiscard]] std::filesystem::path root() const { return dir_ / "root"; }
  [[nodiscard]] std::filesystem::path state() const { return dir_ / "state"; }
  [[nodiscard]] std::string log() const;

  // ctr against this daemon: ctr -a SOCK args...
  [[nodiscard]] CommandResult ctr(const std::vector<std::string>& args) const;

 private:
  std::filesystem::path berthd_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace berth::test
