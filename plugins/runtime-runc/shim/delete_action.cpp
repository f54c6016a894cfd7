// `delete`: containerd's cleanup of a bundle whose shim is gone (killed,
// crashed): the OCI runtime's container force-deleted, the rootfs unmounted,
// the socket removed, and the init's exit as the shim recorded it printed as
// a DeleteResponse (137, SIGKILL's, when it recorded none, as containerd).
#include <unistd.h>

#include <string>

#include "actions.hpp"
#include "berth/log.hpp"
#include "bundle.hpp"
#include "files/fd_io.hpp"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "rootfs.hpp"
#include "runc.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::shim {

int delete_action(const Flags& flags) {
  const RuntimeOptions opts = read_runtime_options(flags.bundle, "/run/berth/runc/" + flags.ns);
  Runc runc(opts, flags.bundle);
  if (Status s = runc.remove(flags.id, true); !s.ok()) log::warn("delete {}: {}", flags.id, s.message());
  if (Status s = unmount_all(flags.bundle + "/rootfs"); !s.ok())
    log::warn("delete {}: {}", flags.id, s.message());
  if (auto address = files::read_file(flags.bundle + "/address", 4096); address.ok()) {
    ::unlink(ttrpc::socket_path(*address).c_str());
  }
  containerd::task::v2::DeleteResponse out;
  if (auto record = read_exit_record(flags.bundle)) {
    out.set_pid(static_cast<std::uint32_t>(record->pid));
    out.set_exit_status(record->status);
    out.mutable_exited_at()->set_seconds(record->exited_at_ns / 1000000000);
    out.mutable_exited_at()->set_nanos(static_cast<int>(record->exited_at_ns % 1000000000));
  } else {
    const std::int64_t now = now_ns();
    out.set_pid(static_cast<std::uint32_t>(read_pid_file(flags.bundle + "/init.pid")));
    out.set_exit_status(137);
    out.mutable_exited_at()->set_seconds(now / 1000000000);
    out.mutable_exited_at()->set_nanos(static_cast<int>(now % 1000000000));
  }
  const std::string bytes = out.SerializeAsString();
  return files::write_all(STDOUT_FILENO, bytes, "stdout").ok() ? 0 : 1;
}

}  // namespace berth::shim
