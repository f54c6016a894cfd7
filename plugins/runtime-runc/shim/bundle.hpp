// What the shim keeps in and near its bundle, `<state>/<ns>/<id>`:
//   <state>/s/<hash>   its socket (0600, in a 0700 directory; never abstract)
//   address            "unix://<socket>", for containerd and for `delete`
//   runtime-options    the OCI runtime chosen at Create, for `delete`
//   init.pid           the container's init, written by runc
//   exit-status        the init's exit, recorded as soon as it is reaped
//   log.json           the OCI runtime's own log
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "berth/status.hpp"

namespace berth::shim {

// <bundle>/../../s/<first 32 hex of sha256(address/ns/id)>. INVALID_ARGUMENT
// when the path would not fit a unix socket address (107 bytes).
Result<std::string> socket_path(const std::string& bundle, const std::string& address, const std::string& ns,
                                const std::string& id);

// The OCI runtime a container runs under (containerd.runc.v1.Options).
struct RuntimeOptions {
  std::string binary = "runc";
  std::string root;  // default: /run/berth/runc/<ns>
  bool systemd_cgroup = false;
  bool no_pivot_root = false;
  bool no_new_keyring = false;
};
Status write_runtime_options(const std::string& bundle, const RuntimeOptions& options);
// The defaults (with `default_root`) when Create never recorded any.
RuntimeOptions read_runtime_options(const std::string& bundle, const std::string& default_root);

struct ExitRecord {
  pid_t pid = 0;
  std::uint32_t status = 0;
  std::int64_t exited_at_ns = 0;  // unix time
};
Status write_exit_record(const std::string& bundle, const ExitRecord& record);
std::optional<ExitRecord> read_exit_record(const std::string& bundle);

// runc's pid file; 0 when absent or unreadable.
pid_t read_pid_file(const std::string& path);

// Now, as unix nanoseconds.
std::int64_t now_ns();

}  // namespace berth::shim
