// A shim binary and containerd's shim v2 start protocol: how the daemon
// starts a task's shim (`start`, which prints the address of the shim it
// leaves running) and cleans up after one that died (`delete`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "berth/any_value.hpp"
#include "berth/status.hpp"
#include "berth/unique_fd.hpp"
#include "runtime_config.hpp"

namespace berth::runtime_runc {

// The shim binary for `runtime`, as containerd resolves it: an absolute
// path as is; a configured runtime's `shim`; otherwise
// io.containerd.<name>.<version> -> containerd-shim-<name>-<version>. A bare
// name is looked for beside the daemon's binary, then on PATH. NotFound,
// naming the runtime and the binary, when there is none.
Result<std::filesystem::path> resolve_shim(std::string_view runtime, const RuntimeConfig& config,
                                           const std::filesystem::path& daemon_dir);

// What every shim invocation is told: where the daemon is.
struct DaemonAddress {
  std::string grpc;            // -address
  std::string ttrpc;           // TTRPC_ADDRESS, where shims forward events
  std::filesystem::path self;  // -publish-binary
};

struct ShimExit {
  uint32_t pid = 0;
  uint32_t exit_status = 0;
  int64_t exited_at = 0;  // ns since the epoch
};

class ShimBinary {
 public:
  ShimBinary(std::filesystem::path binary, DaemonAddress daemon)
      : binary_(std::move(binary)), daemon_(std::move(daemon)) {}

  // `<shim> -namespace NS -address A -publish-binary B -id ID start` in the
  // bundle, `options` (the task's runtime options) on stdin as containerd
  // sends them; the address it prints ("unix:///..."). Also records the
  // binary in <bundle>/shim-binary-path for cleanups after a restart.
  Result<std::string> start(const std::filesystem::path& bundle, std::string_view ns, std::string_view id,
                            const std::optional<AnyValue>& options) const;

  // `... -bundle B delete`: the shim cleans up a bundle whose shim is gone
  // (kills and deletes the container, unmounts its rootfs) and reports the
  // init process's exit.
  Result<ShimExit> cleanup(const std::filesystem::path& bundle, std::string_view ns,
                           std::string_view id) const;

  [[nodiscard]] const std::filesystem::path& binary() const { return binary_; }

 private:
  std::filesystem::path binary_;
  DaemonAddress daemon_;
};

// The shim binary a bundle's shim was started from, if it says.
std::optional<std::filesystem::path> recorded_shim(const std::filesystem::path& bundle);

// The address its shim wrote to <bundle>/address when it started.
Result<std::string> recorded_address(const std::filesystem::path& bundle);

// <bundle>/log: the FIFO a shim writes its log to (containerd's shims fail to
// start without it). Made and opened for reading, without blocking, before
// the shim starts; opened again for a shim found after a restart.
Result<UniqueFd> open_shim_log(const std::filesystem::path& bundle);

}  // namespace berth::runtime_runc
