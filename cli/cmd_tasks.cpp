// berth tasks: the running side of containers, as `ctr tasks` has it (start,
// ls, ps, kill, exec, pause, resume, metrics, attach, rm), plus `stop`:
// SIGTERM, a grace period, then SIGKILL.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <string>

#include "command_table.hpp"
#include "container_create.hpp"
#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "labels.hpp"
#include "output.hpp"
#include "signal_thread.hpp"
#include "task_io.hpp"
#include "task_session.hpp"

namespace berth::cli {
namespace {

namespace tasks = containerd::services::tasks::v1;
namespace snapshots = containerd::services::snapshots::v1;
using TasksStub = tasks::Tasks::Stub;
using containerd::v1::types::Process;

constexpr auto kDefaultStopTimeout = std::chrono::seconds(10);

// Signal names as kill(1) takes them (KILL, SIGKILL) or numbers.
std::optional<int> parse_signal(std::string_view text) {
  static const std::pair<std::string_view, int> kNames[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
      {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
      {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
      {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
      {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"PWR", SIGPWR},   {"SYS", SIGSYS}};
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size())
    return number > 0 && number < NSIG ? std::optional<int>(number) : std::nullopt;
  if (text.starts_with("SIG")) text.remove_prefix(3);
  for (const auto& [name, sig] : kNames)
    if (name == text) return sig;
  return std::nullopt;
}

// Go's time.ParseDuration for the forms people type: 10s, 500ms, 2m, 1h;
// a bare number is seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m") {
    ms = value * 60'000;
  } else if (unit == "h") {
    ms = value * 3'600'000;
  } else {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

std::string status_name(containerd::v1::types::Status status) {
  switch (status) {
    case containerd::v1::types::CREATED:
      return "CREATED";
    case containerd::v1::types::RUNNING:
      return "RUNNING";
    case containerd::v1::types::STOPPED:
      return "STOPPED";
    case containerd::v1::types::PAUSED:
      return "PAUSED";
    case containerd::v1::types::PAUSING:
      return "PAUSING";
    default:
      return "UNKNOWN";
  }
}

grpc::Status get_container(Client& client, const std::string& id, containers::Container& out) {
  containers::GetContainerRequest request;
  request.set_id(id);
  containers::GetContainerResponse response;
  auto st = client.call(&containers::Containers::Stub::Get, request, &response);
  if (st.ok()) out = response.container();
  return st;
}

grpc::Status get_process(Client& client, const ProcessRef& p, Process& out) {
  tasks::GetRequest request;
  request.set_container_id(p.container_id);
  request.set_exec_id(p.exec_id);
  tasks::GetResponse response;
  auto st = client.call(&TasksStub::Get, request, &response);
  if (st.ok()) out = response.process();
  return st;
}

int run_start(Invocation& inv) {
  const std::string& id = inv.positionals()[0];
  SignalThread signals;
  Client& client = inv.client();
  containers::Container c;
  if (auto st = get_container(client, id, c); !st.ok()) return inv.fail("container " + id, st);
  snapshots::MountsRequest request;
  request.set_snapshotter(c.snapshotter());
  request.set_key(c.snapshot_key());
  snapshots::MountsResponse mounts;
  if (!c.snapshot_key().empty()) {
    if (auto st = client.call(&snapshots::Snapshots::Stub::Mounts, request, &mounts); !st.ok())
      return inv.fail("mounts of snapshot " + c.snapshot_key(), st);
  }
  UndoStack undo;
  bool started = false;
  const int code = start_task(inv, c, mounts.mounts(), inv.args().has("detach"), signals, undo, started);
  if (started) undo.dismiss();
  return code;
}

// containerd's List names each task by `id` and leaves container_id empty.
std::string task_id(const Process& p) { return p.id().empty() ? p.container_id() : p.id(); }

nlohmann::ordered_json process_json(const Process& p) {
  return {{"id", task_id(p)},
          {"pid", p.pid()},
          {"status", status_name(p.status())},
          {"exit_status", p.exit_status()},
          {"terminal", p.terminal()},
          {"stdin", p.stdin()},
          {"stdout", p.stdout()},
          {"stderr", p.stderr()}};
}

int run_list(Invocation& inv) {
  tasks::ListTasksRequest request;
  if (!inv.positionals().empty()) request.set_filter(inv.positionals()[0]);
  tasks::ListTasksResponse response;
  if (auto st = inv.client().call(&TasksStub::List, request, &response); !st.ok())
    return inv.fail("list tasks", st);
  if (inv.args().has("quiet")) {
    for (const auto& t : response.tasks()) fmt::print("{}\n", task_id(t));
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& t : response.tasks()) doc.push_back(process_json(t));
    print_json(doc);
  } else {
    Table table({"TASK", "PID", "STATUS"});
    for (const auto& t : response.tasks())
      table.add_row({task_id(t), std::to_string(t.pid()), status_name(t.status())});
    table.print();
  }
  return kExitOk;
}

int run_ps(Invocation& inv) {
  const std::string& id = inv.positionals()[0];
  tasks::ListPidsRequest request;
  request.set_container_id(id);
  tasks::ListPidsResponse response;
  if (auto st = inv.client().call(&TasksStub::ListPids, request, &response); !st.ok())
    return inv.fail("processes of task " + id, st);
  // The runc shim says which exec each process is (ProcessDetails).
  auto exec_of = [](const containerd::v1::types::ProcessInfo& p) -> std::string {
    containerd::runc::v1::ProcessDetails details;
    if (p.has_info() && p.info().type_url().ends_with("containerd.runc.v1.ProcessDetails") &&
        details.ParseFromString(p.info().value()))
      return details.exec_id();
    return "";
  };
  if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& p : response.processes()) doc.push_back({{"pid", p.pid()}, {"exec_id", exec_of(p)}});
    print_json(doc);
    return kExitOk;
  }
  Table table({"PID", "EXEC"});
  for (const auto& p : response.processes()) {
    const std::string exec = exec_of(p);
    table.add_row({std::to_string(p.pid()), exec.empty() ? "-" : exec});
  }
  table.print();
  return kExitOk;
}

int run_kill(Invocation& inv) {
  const std::string& id = inv.positionals()[0];
  int sig = SIGTERM;
  if (auto v = inv.args().value("signal")) {
    auto parsed = parse_signal(*v);
    if (!parsed) return inv.usage_error(fmt::format("unknown signal {:?}", *v));
    sig = *parsed;
  }
  const ProcessRef p{id, inv.args().value("exec-id").value_or("")};
  const bool all = inv.args().has("all");
  if (all && !p.exec_id.empty()) return inv.usage_error("--all signals every process: no --exec-id with it");
  if (auto st = kill_process(inv.client(), p, sig, all); !st.ok()) return inv.fail("kill task " + id, st);
  return kExitOk;
}

int run_stop(Invocation& inv) {
  const std::string& id = inv.positionals()[0];
  std::chrono::milliseconds timeout = kDefaultStopTimeout;
  if (auto v = inv.args().value("timeout")) {
    auto parsed = parse_duration(*v);
    if (!parsed) return inv.usage_error(fmt::format("--timeout {:?} is not a duration (10s, 500ms, 1m)", *v));
    timeout = *parsed;
  }
  Client& client = inv.client();
  const ProcessRef p{id, ""};
  Process process;
  if (auto st = get_process(client, p, process); !st.ok()) return inv.fail("task " + id, st);
  uint32_t status = 0;
  if (process.status() != containerd::v1::types::STOPPED) {
    // A paused task cannot act on SIGTERM until it runs again.
    if (process.status() == containerd::v1::types::PAUSED) {
      tasks::ResumeTaskRequest resume;
      resume.set_container_id(id);
      google::protobuf::Empty empty;
      (void)client.call(&TasksStub::Resume, resume, &empty);
    }
    if (auto st = kill_process(client, p, SIGTERM); !st.ok()) return inv.fail("stop task " + id, st);
    const auto gave_up_at = std::chrono::steady_clock::now() + timeout;
    auto waited = wait_process(client, p, status, timeout);
    // Past our deadline, the call may also end as the server words it
    // (containerd answers a Wait whose shim call timed out with Unknown
    // "context deadline exceeded"): it timed out all the same.
    if (waited.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
        (!waited.ok() && std::chrono::steady_clock::now() >= gave_up_at)) {
      if (auto st = kill_process(client, p, SIGKILL, /*all=*/true); !st.ok())
        return inv.fail("stop task " + id, st);
      waited = wait_process(client, p, status);
    }
    if (!waited.ok()) return inv.fail("wait for task " + id, waited);
  } else {
    status = process.exit_status();
  }
  if (inv.json()) {
    print_json({{"id", id}, {"exit_status", status}});
  } else {
    fmt::print("{}\n", id);
  }
  return kExitOk;
}

int run_pause_resume(Invocation& inv, bool pause) {
  return inv.for_each_positional(pause ? "pause task" : "resume task", [&](const std::string& id) {
    google::protobuf::Empty empty;
    if (pause) {
      tasks::PauseTaskRequest request;
      request.set_container_id(id);
      return inv.client().call(&TasksStub::Pause, request, &empty);
    }
    tasks::ResumeTaskRequest request;
    request.set_container_id(id);
    return inv.client().call(&TasksStub::Resume, request, &empty);
  });
}

int run_pause(Invocation& inv) { return run_pause_resume(inv, true); }
int run_resume(Invocation& inv) { return run_pause_resume(inv, false); }

// The process spec of an exec: the container's process with the new args,
// terminal, and the flags on top, as ctr's exec derives it.
grpc::Status exec_spec(Invocation& inv, const containers::Container& c, bool terminal, nlohmann::json& out) {
  nlohmann::json spec;
  if (auto st = container_spec(c, spec); !st.ok()) return st;
  out = spec.value("process", nlohmann::json::object());
  const auto& pos = inv.positionals();
  out["args"] = std::vector<std::string>(pos.begin() + 1, pos.end());
  out["terminal"] = terminal;
  if (auto cwd = inv.args().value("cwd")) {
    if (cwd->empty() || cwd->front() != '/')
      return {grpc::StatusCode::INVALID_ARGUMENT, fmt::format("--cwd {:?} is not absolute", *cwd)};
    out["cwd"] = *cwd;
  }
  for (const std::string& e : inv.args().values("env")) {
    if (e.find('=') == std::string::npos || e.front() == '=')
      return {grpc::StatusCode::INVALID_ARGUMENT, fmt::format("--env {:?} is not K=V", e)};
    out["env"].push_back(e);
  }
  return grpc::Status::OK;
}

int run_exec(Invocation& inv) {
  const std::string& id = inv.positionals()[0];
  const auto exec_id = inv.args().value("exec-id");
  if (!exec_id || exec_id->empty()) return inv.usage_error("--exec-id is required");
  const bool terminal = inv.args().has("tty");
  const bool detach = inv.args().has("detach");
  SignalThread signals;
  Client& client = inv.client();
  const std::string what = fmt::format("exec {} in task {}", *exec_id, id);
  containers::Container c;
  if (auto st = get_container(client, id, c); !st.ok()) return inv.fail("container " + id, st);
  nlohmann::json process;
  if (auto st = exec_spec(inv, c, terminal, process); !st.ok()) return inv.fail(what, st);

  // Detached, the process gets no stdio: nobody would read it, and nobody
  // would remove its FIFOs.
  std::optional<FifoSet> fifos;
  std::optional<StdioCopy> io;
  if (!detach) {
    auto made = FifoSet::create(*exec_id, terminal);
    if (!made.ok()) return fail_local(what, made.status().message());
    fifos.emplace(std::move(*made));
    auto opened = StdioCopy::open(fifos->paths(), true);
    if (!opened.ok()) return fail_local(what, opened.status().message());
    io.emplace(std::move(*opened));
  }
  tasks::ExecProcessRequest request;
  request.set_container_id(id);
  request.set_exec_id(*exec_id);
  request.set_terminal(terminal);
  if (fifos) {
    request.set_stdin(fifos->paths().stdin_path);
    request.set_stdout(fifos->paths().stdout_path);
    request.set_stderr(fifos->paths().stderr_path);
  }
  request.mutable_spec()->set_type_url(std::string(kProcessTypeUrl));
  request.mutable_spec()->set_value(process.dump());
  google::protobuf::Empty empty;
  if (auto st = client.call(&TasksStub::Exec, request, &empty); !st.ok()) return inv.fail(what, st);
  const ProcessRef p{id, *exec_id};
  auto delete_process = [&client, p] {
    tasks::DeleteProcessRequest del;
    del.set_container_id(p.container_id);
    del.set_exec_id(p.exec_id);
    tasks::DeleteResponse deleted;
    return client.call(&TasksStub::DeleteProcess, del, &deleted);
  };
  if (detach) {
    tasks::StartRequest start;
    start.set_container_id(id);
    start.set_exec_id(*exec_id);
    tasks::StartResponse started;
    if (auto st = client.call(&TasksStub::Start, start, &started); !st.ok()) {
      (void)delete_process();
      return inv.fail(what, st);
    }
    return kExitOk;
  }
  uint32_t status = 0;
  std::string failed;
  bool started = false;
  auto st = run_foreground(client, p, terminal, /*start=*/true, *io, signals, status, failed, started);
  if (!st.ok()) {
    if (!started) (void)delete_process();
    return inv.fail(failed, st);
  }
  if (auto deleted = delete_process(); !deleted.ok()) return inv.fail("delete process " + *exec_id, deleted);
  return exit_code_of(status);
}

int run_attach(Invocation& inv) {
  const std::string& id = inv.positionals()[0];
  SignalThread signals;
  Client& client = inv.client();
  const ProcessRef p{id, inv.args().value("exec-id").value_or("")};
  Process process;
  if (auto st = get_process(client, p, process); !st.ok()) return inv.fail("task " + id, st);
  if (process.stdout().empty() && process.stdin().empty())
    return fail_local("attach to task " + id, "it has no FIFOs (it was started without stdio)");
  auto io = StdioCopy::open({process.stdin(), process.stdout(), process.stderr()}, !process.stdin().empty(),
                            /*attach=*/true);
  if (!io.ok()) return fail_local("attach to task " + id, io.status().message());
  uint32_t status = 0;
  std::string failed;
  bool started = false;
  if (auto st = run_foreground(client, p, process.terminal(), /*start=*/false, *io, signals, status, failed,
                               started);
      !st.ok())
    return inv.fail(failed, st);
  return exit_code_of(status);
}

// Deletes a stopped task (with --force, kills it first) and its FIFOs.
grpc::Status remove_task(Invocation& inv, const std::string& id) {
  Client& client = inv.client();
  const ProcessRef p{id, ""};
  Process process;
  if (auto st = get_process(client, p, process); !st.ok()) return st;
  if (process.status() != containerd::v1::types::STOPPED) {
    if (!inv.args().has("force"))
      return {grpc::StatusCode::FAILED_PRECONDITION,
              fmt::format("task is {}: stop it first, or use --force", status_name(process.status()))};
    if (process.status() != containerd::v1::types::CREATED) {
      uint32_t status = 0;
      if (auto st = kill_process(client, p, SIGKILL, /*all=*/true); !st.ok()) return st;
      if (auto st = wait_process(client, p, status); !st.ok()) return st;
    }
  }
  tasks::DeleteTaskRequest del;
  del.set_container_id(id);
  tasks::DeleteResponse deleted;
  if (auto st = client.call(&TasksStub::Delete, del, &deleted); !st.ok()) return st;
  for (const std::string* fifo : {&process.stdin(), &process.stdout(), &process.stderr()})
    remove_fifo_dir(*fifo);
  return grpc::Status::OK;
}

int run_remove(Invocation& inv) {
  return inv.for_each_positional("remove task", [&](const std::string& id) { return remove_task(inv, id); });
}

// What ctr's metrics table shows, per cgroup version.
void metrics_rows_v1(const io::containerd::cgroups::v1::Metrics& m, Table& t) {
  if (m.has_memory()) {
    t.add_row({"memory.usage_in_bytes", std::to_string(m.memory().usage().usage())});
    t.add_row({"memory.limit_in_bytes", std::to_string(m.memory().usage().limit())});
    t.add_row({"memory.stat.cache", std::to_string(m.memory().total_cache())});
  }
  if (m.has_cpu()) {
    t.add_row({"cpuacct.usage", std::to_string(m.cpu().usage().total())});
    t.add_row({"cpuacct.usage_percpu", fmt::format("[{}]", fmt::join(m.cpu().usage().per_cpu(), " "))});
  }
  if (m.has_pids()) {
    t.add_row({"pids.current", std::to_string(m.pids().current())});
    t.add_row({"pids.limit", std::to_string(m.pids().limit())});
  }
}

void metrics_rows_v2(const io::containerd::cgroups::v2::Metrics& m, Table& t) {
  if (m.has_pids()) {
    t.add_row({"pids.current", std::to_string(m.pids().current())});
    t.add_row({"pids.limit", std::to_string(m.pids().limit())});
  }
  if (m.has_cpu()) {
    const auto& c = m.cpu();
    t.add_row({"cpu.usage_usec", std::to_string(c.usage_usec())});
    t.add_row({"cpu.user_usec", std::to_string(c.user_usec())});
    t.add_row({"cpu.system_usec", std::to_string(c.system_usec())});
    t.add_row({"cpu.nr_periods", std::to_string(c.nr_periods())});
    t.add_row({"cpu.nr_throttled", std::to_string(c.nr_throttled())});
    t.add_row({"cpu.throttled_usec", std::to_string(c.throttled_usec())});
  }
  if (m.has_memory()) {
    const auto& mem = m.memory();
    t.add_row({"memory.usage", std::to_string(mem.usage())});
    t.add_row({"memory.usage_limit", std::to_string(mem.usage_limit())});
    t.add_row({"memory.swap_usage", std::to_string(mem.swap_usage())});
    t.add_row({"memory.swap_limit", std::to_string(mem.swap_limit())});
  }
}

int run_metrics(Invocation& inv) {
  const std::string& id = inv.positionals()[0];
  tasks::MetricsRequest request;
  request.add_filters("id==" + id);
  tasks::MetricsResponse response;
  const std::string what = "metrics of task " + id;
  if (auto st = inv.client().call(&TasksStub::Metrics, request, &response); !st.ok())
    return inv.fail(what, st);
  if (response.metrics().empty())
    return inv.fail(what, {grpc::StatusCode::NOT_FOUND, "the daemon has no metrics for it"});
  const auto& metric = response.metrics(0);
  // Bare message names, as containerd sends them; a type.googleapis.com/
  // prefix is taken too.
  std::string type = metric.data().type_url();
  type = type.substr(type.rfind('/') + 1);
  io::containerd::cgroups::v1::Metrics v1;
  io::containerd::cgroups::v2::Metrics v2;
  google::protobuf::Message* data = nullptr;
  if (type == v1.GetDescriptor()->full_name()) {
    data = &v1;
  } else if (type == v2.GetDescriptor()->full_name()) {
    data = &v2;
  } else {
    return inv.fail(what, {grpc::StatusCode::UNIMPLEMENTED, fmt::format("unknown metrics type {:?}", type)});
  }
  if (!data->ParseFromString(metric.data().value()))
    return inv.fail(what, {grpc::StatusCode::DATA_LOSS, fmt::format("{} does not parse", type)});
  if (inv.json()) {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(*data, &json, options);
    print_json({{"id", metric.id()},
                {"timestamp", rfc3339(metric.timestamp())},
                {"type", type},
                {"data", nlohmann::ordered_json::parse(json)}});
    return kExitOk;
  }
  Table head({"ID", "TIMESTAMP"});
  head.add_row({metric.id(), rfc3339(metric.timestamp())});
  head.print();
  fmt::print("\n");
  Table table({"METRIC", "VALUE"});
  if (data == &v1) {
    metrics_rows_v1(v1, table);
  } else {
    metrics_rows_v2(v2, table);
  }
  table.print();
  return kExitOk;
}

}  // namespace

Command tasks_command() {
  return {
      .name = "tasks",
      .aliases = {"task", "t"},
      .summary = "manage tasks: the running processes of containers",
      .subcommands =
          {
              {
                  .name = "start",
                  .summary = "start the task of a container",
                  .synopsis = "ID",
                  .description =
                      "Create and start the task of container ID (made with `containers create`), in\n"
                      "the foreground as `run` does, and delete it once it exited; with -d leave it\n"
                      "running. A container whose spec asks for a terminal gets this one.",
                  .options = {{'d', "detach", "", "leave the task running; print nothing"}},
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_start,
              },
              {
                  .name = "list",
                  .aliases = {"ls"},
                  .summary = "list tasks",
                  .synopsis = "[FILTER]",
                  .options = {{'q', "quiet", "", "print only the task ids"}},
                  .max_args = 1,
                  .run = run_list,
              },
              {
                  .name = "ps",
                  .summary = "list the processes of a task",
                  .synopsis = "ID",
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_ps,
              },
              {
                  .name = "kill",
                  .summary = "signal a task",
                  .synopsis = "ID",
                  .options = {{'s', "signal", "SIG", "the signal (name or number; default SIGTERM)"},
                              {'a', "all", "", "signal every process of the task"},
                              {'\0', "exec-id", "E", "signal the exec'd process E"}},
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_kill,
              },
              {
                  .name = "stop",
                  .summary = "stop a task: SIGTERM, then SIGKILL after a timeout",
                  .synopsis = "ID",
                  .description =
                      "Send SIGTERM to the task and wait for it to exit; if it has not within the\n"
                      "timeout, kill every process of it with SIGKILL. The stopped task stays\n"
                      "(remove it with `tasks rm`). Prints ID.",
                  .options = {{'\0', "timeout", "DURATION", "how long SIGTERM has (default 10s)"}},
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_stop,
              },
              {
                  .name = "exec",
                  .summary = "run another process in a task",
                  .synopsis = "ID CMD...",
                  .description =
                      "Run CMD in the running task ID, its process spec derived from the\n"
                      "container's; in the foreground, and exit with its exit code. Detached (-d)\n"
                      "it gets no stdio. Options end at ID.",
                  .options = {{'\0', "exec-id", "E", "the process's id in the task (required)"},
                              {'t', "tty", "", "give the process a terminal"},
                              {'d', "detach", "", "start it and leave it running"},
                              {'\0', "cwd", "DIR", "its working directory"},
                              {'e', "env", "K=V", "add an environment variable; may be repeated"}},
                  .min_args = 2,
                  .options_end_after = 1,
                  .run = run_exec,
              },
              {
                  .name = "pause",
                  .summary = "pause tasks (freeze their processes)",
                  .synopsis = "ID...",
                  .min_args = 1,
                  .run = run_pause,
              },
              {
                  .name = "resume",
                  .summary = "resume paused tasks",
                  .synopsis = "ID...",
                  .min_args = 1,
                  .run = run_resume,
              },
              {
                  .name = "metrics",
                  .aliases = {"metric"},
                  .summary = "show a task's cgroup metrics",
                  .synopsis = "ID",
                  .description =
                      "One sample of the task's cgroup statistics (cgroup v1 or v2, as the daemon\n"
                      "reports them): the values ctr shows; all of them with --format json.",
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_metrics,
              },
              {
                  .name = "attach",
                  .summary = "attach to the stdio of a running task",
                  .synopsis = "ID",
                  .description =
                      "Reopen the FIFOs of task ID (started detached by berth or ctr): its output\n"
                      "comes here, this stdin goes to it, until it exits; then exit with its code.",
                  .options = {{'\0', "exec-id", "E", "attach to the exec'd process E"}},
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_attach,
              },
              {
                  .name = "remove",
                  .aliases = {"rm", "delete", "del"},
                  .summary = "delete stopped tasks",
                  .synopsis = "ID...",
                  .description = "Delete tasks that have exited (with --force, kill them first) and the\n"
                                 "FIFOs berth made for them. The containers stay.",
                  .options = {{'f', "force", "", "kill a task that still runs, then delete it"}},
                  .min_args = 1,
                  .run = run_remove,
              },
          },
  };
}

}  // namespace berth::cli
