// Running a task's process in the foreground, shared by `run`, `tasks start`,
// `tasks exec` and `tasks attach`: stdio copied through its FIFOs, signals
// forwarded with Kill (or, with a terminal, window sizes with ResizePty),
// then Wait for its exit status.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "client.hpp"
#include "command.hpp"
#include "container_create.hpp"
#include "signal_thread.hpp"
#include "task_io.hpp"
#include "undo_stack.hpp"

namespace berth::cli {

// A process of a task: its init (exec_id "") or an exec'd one.
struct ProcessRef {
  std::string container_id;
  std::string exec_id;
};

grpc::Status kill_process(Client& client, const ProcessRef& p, int signal, bool all = false);
// Waits for the process to exit; with a timeout, DEADLINE_EXCEEDED when it
// has not by then.
grpc::Status wait_process(Client& client, const ProcessRef& p, uint32_t& exit_status,
                          std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// What berth exits with for a process's exit status (which is 128+N for a
// process killed by signal N, as the shim reports it).
int exit_code_of(uint32_t exit_status);

// The container's spec, parsed; INVALID_ARGUMENT when it is not JSON.
grpc::Status container_spec(const containers::Container& c, nlohmann::json& spec);

// With `io` open and the process created (not yet started when `start`):
// copies stdio, starts it, forwards signals or window sizes, and waits
// for it to exit. `what` names the step that failed; `started` says
// whether the process got started.
grpc::Status run_foreground(Client& client, const ProcessRef& p, bool terminal, bool start, StdioCopy& io,
                            SignalThread& signals, uint32_t& exit_status, std::string& what, bool& started);

// Creates the task of `c` on `rootfs` with FIFOs and starts it. Detached,
// the FIFOs stay for `tasks attach` and the task runs on; else it runs in
// the foreground and is deleted once it exited, as ctr's run and start
// delete it. `undo` holds what the caller made before (the container): run
// on failure, and by the caller at the end for `run --rm`; `started` says
// whether the task got started (then a failure is the caller's to judge:
// the task may still run).
int start_task(Invocation& inv, const containers::Container& c,
               const google::protobuf::RepeatedPtrField<containerd::types::Mount>& rootfs, bool detach,
               SignalThread& signals, UndoStack& undo, bool& started);

}  // namespace berth::cli
