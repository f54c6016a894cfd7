// A shim v2 binary started as containerd starts it, for tests that need a
// real shim: Debian's containerd-shim-runc-v2 (containerd 1.6) by default,
// or Berth's containerd-shim-berth-v2, so one test can run against both.
// Their ttrpc client calls its task service, and it forwards task events to
// TTRPC_ADDRESS.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "ttrpc/client.hpp"

namespace berth::test {

inline constexpr char kRuncShim[] = "/usr/bin/containerd-shim-runc-v2";
inline constexpr char kShimTaskService[] = "containerd.task.v2.Task";

class RuncShim {
 public:
  // The bundle goes in `dir`/<ns>/<id>, as in containerd's state directory
  // (Berth's shim puts its socket in `dir`/s). `id` names the container and
  // must be unique to the test: it is how the shim is told from every other
  // process. `binary`: the shim to run.
  RuncShim(const std::filesystem::path& dir, std::string ns, std::string id, std::string binary = kRuncShim);
  // Leaves nothing behind, whatever the test got to: a container still
  // created is deleted with runc, a shim still running (ours, by its pid and
  // -id) is killed, its socket and runc's state directory for `ns` removed.
  ~RuncShim();
  RuncShim(const RuncShim&) = delete;
  RuncShim& operator=(const RuncShim&) = delete;

  // A config.json and nothing else: enough for Connect and Shutdown.
  Status write_minimal_bundle();
  // busybox-static as the whole rootfs, running `args`, no terminal.
  Status write_busybox_bundle(const std::vector<std::string>& args);
  // The same, with `edit` applied to the spec (a terminal, a memory limit).
  Status write_busybox_bundle(const std::vector<std::string>& args,
                              const std::function<void(nlohmann::json&)>& edit);

  // `containerd-shim-runc-v2 ... start`, as containerd's runtime/v2/binary.go
  // runs it: in the bundle, TTRPC_ADDRESS set, stdin empty. The shim forks
  // its long-lived self and prints that one's address, returned here.
  Result<std::string> start(const std::string& grpc_address, const std::string& ttrpc_address);
  // Dials the started shim and calls Connect; remembers the shim's pid,
  // which must be our shim's.
  Result<std::unique_ptr<ttrpc::Client>> connect();

  // The task calls, for the container `id` in the bundle.
  Result<containerd::task::v2::CreateTaskResponse> create(ttrpc::Client& client);
  // Create with the caller's request (stdio, terminal, rootfs, options); its
  // id and bundle are filled in when empty.
  Result<containerd::task::v2::CreateTaskResponse> create(ttrpc::Client& client,
                                                          containerd::task::v2::CreateTaskRequest request);
  Result<containerd::task::v2::StartResponse> start_task(ttrpc::Client& client);
  Result<containerd::task::v2::WaitResponse> wait(ttrpc::Client& client);
  Result<containerd::task::v2::DeleteResponse> remove(ttrpc::Client& client);
  // Shutdown, then waits for the shim to exit and its socket to go.
  Status shut_down(ttrpc::Client& client);

  // True when `pid` is a shim started for our id.
  [[nodiscard]] bool owns(pid_t pid) const;
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] const std::string& ns() const { return ns_; }
  [[nodiscard]] const std::filesystem::path& bundle() const { return bundle_; }
  // Where the shim tells its OCI runtime to keep state by default.
  [[nodiscard]] const std::filesystem::path& runc_root() const { return runc_root_; }
  [[nodiscard]] const std::string& binary() const { return binary_; }
  [[nodiscard]] const std::string& socket() const { return socket_; }
  // What the shim logged and what start printed on stderr, for a failure.
  [[nodiscard]] std::string logs() const;

 private:
  std::filesystem::path bundle_;
  std::string ns_;
  std::string id_;
  std::string binary_;
  std::filesystem::path runc_root_;
  std::string socket_;  // the shim's, once started
  UniqueFd log_;        // our end of the shim's log fifo
  pid_t pid_ = -1;
  bool created_ = false;
};

// Polls `done` every 20 ms for up to `limit`.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

}  // namespace berth::test
