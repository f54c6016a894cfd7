// The Tasks service's conversions between containerd's task messages and
// berth/tasks.hpp: pure functions, so they are tested without a daemon.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/containers.hpp"
#include "berth/tasks.hpp"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.pb.h"
#include "github.com/containerd/containerd/api/types/task/task.pb.h"

namespace berth::api {

namespace tasks_v1 = containerd::services::tasks::v1;
namespace task_types = containerd::v1::types;

// Go's zero time.Time (0001-01-01T00:00:00Z) in Unix seconds: what
// containerd puts in exited_at for a process that has not exited, since the
// field is not nullable in its API.
inline constexpr int64_t kGoZeroTimeSeconds = -62135596800;

// An exit time in ns since the epoch; 0 (not exited) as Go's zero time.
void set_exit_time(int64_t exited_at_ns, google::protobuf::Timestamp* ts);

// A process as containerd.v1.types.Process: `id` is the exec id, or the
// container id for the init process.
void to_pb(const ProcessState& state, task_types::Process* out);

// containerd's name of a status ("RUNNING"), as `ctr tasks ls` prints it.
std::string_view status_name(TaskStatus status);

// The fields a Tasks List filter may name: "id", "pid", "status" (as
// status_name), "exit_status". (containerd 1.6 ignores List's filter.)
std::optional<std::string> task_field(const ProcessState& state, const std::vector<std::string>& path);

// The runtime's request for CreateTaskRequest `req` on `container` in `ns`.
// InvalidArgument when the container has no spec or its spec is not a JSON
// object; Unimplemented for a checkpoint to restore from.
Result<TaskCreate> task_create(std::string_view ns, const Container& container,
                               const tasks_v1::CreateTaskRequest& req);

// The OCI spec in an Any (a container's spec, an exec's process) checked to
// be a JSON object; InvalidArgument naming `what` otherwise.
Status check_json_object(const AnyValue& any, std::string_view what);

}  // namespace berth::api
