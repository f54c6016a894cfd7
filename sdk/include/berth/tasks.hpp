// Tasks: a container's processes, running. A container record
// (berth/containers.hpp) says what to run; a task runtime runs it and keeps
// it running when the daemon is not, as containerd's runtime v2 does with
// one shim process per container.
//
// Interface type "io.containerd.runtime.v2"; plugins/runtime-runc offers the
// runtime "task" (io.containerd.runtime.v2.task), which serves every runtime
// name it has a shim for ("io.containerd.runc.v2", ...). The API edge
// (plugins/grpc's Tasks service) looks it up with first_of<TaskRuntime>.
//
// Processes are named by namespace, task id (the container id) and exec id
// ("" for the task's init process). Errors carry containerd's codes:
// NotFound for a task or process that does not exist (and, as containerd
// says it, "process already finished" for a kill of a stopped one),
// AlreadyExists for an id in use, FailedPrecondition for a request the
// process's state refuses (a delete of a running process; a shim may say
// Unknown there, as containerd's does), Unknown for a failure of the OCI
// runtime, with its message.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/any_value.hpp"
#include "berth/cancel.hpp"
#include "berth/mount.hpp"
#include "berth/status.hpp"

namespace berth {

inline constexpr std::string_view kRuntimePluginType = "io.containerd.runtime.v2";

// containerd.v1.types.Status, with its numbers.
enum class TaskStatus : int {
  kUnknown = 0,
  kCreated = 1,
  kRunning = 2,
  kStopped = 3,
  kPaused = 4,
  kPausing = 5
};

// A process's standard streams: FIFO paths the client opened (any may be
// empty: that stream is discarded), or one pty when `terminal`.
struct TaskIO {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
};

struct ProcessState {
  std::string id;       // the task (container) id
  std::string exec_id;  // "" for the init process
  uint32_t pid = 0;
  TaskStatus status = TaskStatus::kUnknown;
  TaskIO io;
  uint32_t exit_status = 0;
  int64_t exited_at = 0;  // ns since the epoch; 0 until it exits
};

struct ProcessExit {
  uint32_t pid = 0;
  uint32_t exit_status = 0;
  int64_t exited_at = 0;  // ns since the epoch
};

// A process in the task's cgroup; `info` is the runtime's own detail
// (containerd.runc.v1.ProcessDetails naming the exec id), when it has one.
struct ProcessInfo {
  uint32_t pid = 0;
  std::optional<AnyValue> info;
};

struct TaskCreate {
  std::string ns;
  std::string id;
  std::string runtime;                      // the container's runtime name
  std::optional<AnyValue> runtime_options;  // the container's (containerd.runc.v1.Options, ...)
  std::optional<AnyValue> options;          // the request's; when set, they win
  std::string spec;                         // the OCI runtime spec, JSON
  std::vector<Mount> rootfs;                // mounted on <bundle>/rootfs; none: the spec's root as is
  TaskIO io;
};

class TaskRuntime {
 public:
  virtual ~TaskRuntime();

  // Starts the task's shim and creates the init process (not started).
  // NotFound when no shim serves `runtime`; AlreadyExists when the id has a
  // task. Leaves nothing behind when it fails.
  virtual Result<ProcessState> create(const TaskCreate& request) = 0;
  // Starts the init process (exec_id "") or an exec'd one; its pid.
  virtual Result<uint32_t> start(std::string_view ns, std::string_view id, std::string_view exec_id) = 0;
  // Deletes a stopped (or never started) task: its processes, its shim, its
  // bundle and mounts. The init process's exit.
  virtual Result<ProcessExit> remove(std::string_view ns, std::string_view id) = 0;
  // Deletes a stopped exec'd process.
  virtual Result<ProcessExit> remove_process(std::string_view ns, std::string_view id,
                                             std::string_view exec_id) = 0;
  virtual Result<ProcessState> state(std::string_view ns, std::string_view id, std::string_view exec_id) = 0;
  // Every task's init process in `ns`, by id.
  virtual Result<std::vector<ProcessState>> list(std::string_view ns) = 0;
  // `all`: every process of the task (init only).
  virtual Status kill(std::string_view ns, std::string_view id, std::string_view exec_id, uint32_t signal,
                      bool all) = 0;
  // Adds a process (OCI runtime-spec Process, as an Any) named `exec_id`.
  virtual Status exec(std::string_view ns, std::string_view id, std::string_view exec_id, const TaskIO& io,
                      const AnyValue& process_spec) = 0;
  virtual Status resize_pty(std::string_view ns, std::string_view id, std::string_view exec_id,
                            uint32_t width, uint32_t height) = 0;
  virtual Status close_stdin(std::string_view ns, std::string_view id, std::string_view exec_id) = 0;
  virtual Status pause(std::string_view ns, std::string_view id) = 0;
  virtual Status resume(std::string_view ns, std::string_view id) = 0;
  virtual Result<std::vector<ProcessInfo>> pids(std::string_view ns, std::string_view id) = 0;
  // Resources: an Any of the OCI LinuxResources (JSON, as containerd sends).
  virtual Status update(std::string_view ns, std::string_view id, const AnyValue& resources,
                        const std::map<std::string, std::string>& annotations) = 0;
  // The task's cgroup statistics (io.containerd.cgroups.v1.Metrics or
  // io.containerd.cgroups.v2.Metrics, as the host has them).
  virtual Result<AnyValue> stats(std::string_view ns, std::string_view id) = 0;
  // Blocks until the process exits (returns at once if it has), or until
  // `cancelled` stops it.
  virtual Result<ProcessExit> wait(std::string_view ns, std::string_view id, std::string_view exec_id,
                                   const CancelCheck& cancelled) = 0;
};

}  // namespace berth
