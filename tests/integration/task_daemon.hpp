// The daemon a task test runs against, chosen by BERTH_TASK_DAEMON:
// "containerd" (the default) is Debian's containerd on a private root, state
// and socket under the test's directory, "berthd" is the repo's berthd
// started through the integration harness. Both speak the same API, so the
// tests are the same; on containerd they check the client against the
// reference server, on berthd the server too.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace berth::test {

class TaskDaemon {
 public:
  // "containerd" or "berthd", from BERTH_TASK_DAEMON.
  static std::string kind_from_env();

  TaskDaemon(std::string kind, std::filesystem::path dir);
  ~TaskDaemon();  // stops the daemon (SIGTERM, then SIGKILL)
  TaskDaemon(const TaskDaemon&) = delete;
  TaskDaemon& operator=(const TaskDaemon&) = delete;

  // Starts it and waits until it answers `ctr version`; false with the
  // reason (and log) in `why`.
  bool start(std::string& why);
  void stop();

  [[nodiscard]] const std::string& kind() const { return kind_; }
  [[nodiscard]] std::string address() const;
  [[nodiscard]] std::string log() const;
  // ctr -a SOCK -n NS args...
  [[nodiscard]] CommandResult ctr(const std::string& ns, const std::vector<std::string>& args) const;

 private:
  std::string kind_;
  std::filesystem::path dir_;
  pid_t containerd_ = -1;
  std::unique_ptr<Berthd> berthd_;
};

}  // namespace berth::test
