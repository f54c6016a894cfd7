// The OCI runtime's command line (runc, or crun: same verbs), as
// containerd's go-runc drives it: global flags
//   --root R --log <bundle>/log.json --log-format json [--systemd-cgroup]
// then create/start/exec/kill/delete/pause/resume/update/ps. Errors carry
// the runtime's own last error line from log.json.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "berth/status.hpp"
#include "bundle.hpp"
#include "process/spawn.hpp"

namespace berth::shim {

// The container's standard streams as the runtime passes them on.
struct ChildStdio {
  process::Stream in = process::Stream::null();
  process::Stream out = process::Stream::null();
  process::Stream err = process::Stream::null();
};

class Runc {
 public:
  Runc(RuntimeOptions options, std::string bundle)
      : options_(std::move(options)), bundle_(std::move(bundle)) {}

  Status create(const std::string& id, const std::string& pid_file, const std::string& console_socket,
                const ChildStdio& stdio) const;
  Status start(const std::string& id) const { return run({"start", id}); }
  // `exec --detach --process <spec file>`.
  Status exec(const std::string& id, const std::string& process_file, const std::string& pid_file,
              const std::string& console_socket, const ChildStdio& stdio) const;
  Status kill(const std::string& id, int signal, bool all) const;
  Status remove(const std::string& id, bool force) const;
  Status pause(const std::string& id) const { return run({"pause", id}); }
  Status resume(const std::string& id) const { return run({"resume", id}); }
  // `update --resources -`, the OCI LinuxResources JSON on stdin.
  Status update(const std::string& id, const std::string& resources_json) const;
  Result<std::vector<pid_t>> ps(const std::string& id) const;

  [[nodiscard]] const RuntimeOptions& options() const { return options_; }

 private:
  [[nodiscard]] std::vector<std::string> argv(std::vector<std::string> args) const;
  // Runs a verb that starts nothing long-lived; its stdout when it asks.
  Status run(std::vector<std::string> args, std::string* out = nullptr, const std::string& input = {}) const;
  // Runs create/exec, whose stdio the container inherits.
  Status run_with_stdio(std::vector<std::string> args, const ChildStdio& stdio) const;
  // "runc create: <last error in log.json or its stderr>".
  [[nodiscard]] Status failure(const std::string& verb, int exit_code, const std::string& stderr_text) const;

  RuntimeOptions options_;
  std::string bundle_;
};

}  // namespace berth::shim
