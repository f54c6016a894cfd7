#include "task_pb.hpp"

#include <nlohmann/json.hpp>

#include "pb_convert.hpp"

namespace berth::api {

void set_exit_time(int64_t exited_at_ns, google::protobuf::Timestamp* ts) {
  if (exited_at_ns == 0) {
    ts->set_seconds(kGoZeroTimeSeconds);
    ts->set_nanos(0);
    return;
  }
  set_time(exited_at_ns, ts);
}

void to_pb(const ProcessState& state, task_types::Process* out) {
  out->set_container_id(state.id);
  out->set_id(state.exec_id.empty() ? state.id : state.exec_id);
  out->set_pid(state.pid);
  out->set_status(static_cast<task_types::Status>(state.status));
  out->set_stdin(state.io.stdin_path);
  out->set_stdout(state.io.stdout_path);
  out->set_stderr(state.io.stderr_path);
  out->set_terminal(state.io.terminal);
  out->set_exit_status(state.exit_status);
  set_exit_time(state.exited_at, out->mutable_exited_at());
}

std::string_view status_name(TaskStatus status) {
  switch (status) {
    case TaskStatus::kCreated:
      return "CREATED";
    case TaskStatus::kRunning:
      return "RUNNING";
    case TaskStatus::kStopped:
      return "STOPPED";
    case TaskStatus::kPaused:
      return "PAUSED";
    case TaskStatus::kPausing:
      return "PAUSING";
    case TaskStatus::kUnknown:
      break;
  }
  return "UNKNOWN";
}

std::optional<std::string> task_field(const ProcessState& state, const std::vector<std::string>& path) {
  if (path.size() != 1) return std::nullopt;
  const std::string& field = path[0];
  if (field == "id") return state.id;
  if (field == "pid") return std::to_string(state.pid);
  if (field == "status") return std::string(status_name(state.status));
  if (field == "exit_status") return std::to_string(state.exit_status);
  return std::nullopt;
}

Status check_json_object(const AnyValue& any, std::string_view what) {
  // The spec goes to the OCI runtime as config.json: refuse here what runc
  // would refuse later with a less telling message, after a shim started.
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(any.value);
  } catch (const nlohmann::json::exception& e) {
    return invalid_argument(std::string(what) + " (" + any.type_url + ") is not valid JSON: " + e.what());
  }
  if (!parsed.is_object()) {
    return invalid_argument(std::string(what) + " (" + any.type_url + ") is JSON but not an object");
  }
  return {};
}

Result<TaskCreate> task_create(std::string_view ns, const Container& container,
                               const tasks_v1::CreateTaskRequest& req) {
  const std::string task = "create task " + container.id;
  if (req.has_checkpoint()) {
    return unimplemented(task + ": restoring from a checkpoint (" + req.checkpoint().digest() +
                         ") is not supported: Berth does not checkpoint or restore tasks");
  }
  if (!container.spec) return invalid_argument(task + ": the container has no OCI spec");
  BERTH_RETURN_IF_ERROR(check_json_object(*container.spec, task + ": the container's OCI spec"));
  TaskCreate out;
  out.ns = ns;
  out.id = container.id;
  // As containerd: a runtime path in the request stands in for the
  // container's runtime name (the runtime resolves either).
  out.runtime = req.runtime_path().empty() ? container.runtime.name : req.runtime_path();
  out.runtime_options = container.runtime.options;
  if (req.has_options()) out.options = from_pb(req.options());
  out.spec = container.spec->value;
  out.rootfs = from_pb(req.rootfs());
  out.io = TaskIO{req.stdin(), req.stdout(), req.stderr(), req.terminal()};
  return out;
}

}  // namespace berth::api
