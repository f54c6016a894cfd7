#include "task_session.hpp"

#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>

#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"

namespace berth::cli {
namespace {

namespace tasks = containerd::services::tasks::v1;
using TasksStub = tasks::Tasks::Stub;

// After the process exited, how long its output may take to drain: the shim
// closes the FIFOs once it has copied everything, normally at once.
constexpr auto kOutputDrain = std::chrono::seconds(5);
// How long undoing a task waits for it to die after SIGKILL.
constexpr auto kKillWait = std::chrono::seconds(10);

void resize(Client& client, const ProcessRef& p) {
  uint32_t width = 0;
  uint32_t height = 0;
  if (!terminal_size(width, height)) return;
  tasks::ResizePtyRequest request;
  request.set_container_id(p.container_id);
  request.set_exec_id(p.exec_id);
  request.set_width(width);
  request.set_height(height);
  google::protobuf::Empty empty;
  (void)client.call(&TasksStub::ResizePty, request, &empty);
}

}  // namespace

grpc::Status kill_process(Client& client, const ProcessRef& p, int signal, bool all) {
  tasks::KillRequest request;
  request.set_container_id(p.container_id);
  request.set_exec_id(p.exec_id);
  request.set_signal(static_cast<uint32_t>(signal));
  request.set_all(all);
  google::protobuf::Empty empty;
  return client.call(&TasksStub::Kill, request, &empty);
}

grpc::Status wait_process(Client& client, const ProcessRef& p, uint32_t& exit_status,
                          std::optional<std::chrono::milliseconds> timeout) {
  if (auto st = client.connect(); !st.ok()) return st;
  tasks::WaitRequest request;
  request.set_container_id(p.container_id);
  request.set_exec_id(p.exec_id);
  tasks::WaitResponse response;
  grpc::ClientContext context;
  client.prepare(context);
  if (timeout) context.set_deadline(std::chrono::system_clock::now() + *timeout);
  TasksStub stub(client.channel());
  auto st = stub.Wait(&context, request, &response);
  if (st.ok()) exit_status = response.exit_status();
  return st;
}

int exit_code_of(uint32_t exit_status) { return exit_status > 255 ? 255 : static_cast<int>(exit_status); }

grpc::Status container_spec(const containers::Container& c, nlohmann::json& spec) {
  spec = nlohmann::json::parse(c.spec().value(), nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object())
    return {grpc::StatusCode::INVALID_ARGUMENT, fmt::format("container {}'s spec is not JSON", c.id())};
  return grpc::Status::OK;
}

grpc::Status run_foreground(Client& client, const ProcessRef& p, bool terminal, bool start, StdioCopy& io,
                            SignalThread& signals, uint32_t& exit_status, std::string& what, bool& started) {
  started = !start;
  std::optional<RawTerminal> raw;
  if (terminal) raw.emplace();
  io.start([&client, p] {
    // Also through the API: a shim that holds the FIFO open itself learns
    // of the end of input only this way.
    tasks::CloseIORequest request;
    request.set_container_id(p.container_id);
    request.set_exec_id(p.exec_id);
    request.set_stdin(true);
    google::protobuf::Empty empty;
    (void)client.call(&TasksStub::CloseIO, request, &empty);
  });
  // As ctr: with a terminal, keys (Ctrl-C too) reach the process through
  // the pty, and only window sizes are passed on; without one, signals are.
  signals.start([&client, p, terminal](int sig) {
    if (sig == SIGWINCH) {
      if (terminal) resize(client, p);
      return;
    }
    if (!terminal) (void)kill_process(client, p, sig);
  });
  if (start) {
    // The init's pty exists from Create on: sized before the process
    // starts, it never sees a 0x0 terminal. An exec's pty comes with Start.
    if (terminal && p.exec_id.empty()) resize(client, p);
    tasks::StartRequest request;
    request.set_container_id(p.container_id);
    request.set_exec_id(p.exec_id);
    tasks::StartResponse response;
    if (auto st = client.call(&TasksStub::Start, request, &response); !st.ok()) {
      what = p.exec_id.empty() ? "start task " + p.container_id : "start process " + p.exec_id;
      return st;
    }
    started = true;
  }
  io.process_started();
  if (terminal) resize(client, p);
  if (auto st = wait_process(client, p, exit_status); !st.ok()) {
    what = "wait for " + (p.exec_id.empty() ? "task " + p.container_id : "process " + p.exec_id);
    return st;
  }
  io.wait_output(kOutputDrain);
  return grpc::Status::OK;
}

int start_task(Invocation& inv, const containers::Container& c,
               const google::protobuf::RepeatedPtrField<containerd::types::Mount>& rootfs, bool detach,
               SignalThread& signals, UndoStack& undo, bool& started) {
  started = false;
  Client& client = inv.client();
  const std::string what = "create task " + c.id();
  nlohmann::json spec;
  if (auto st = container_spec(c, spec); !st.ok()) return inv.fail(what, st);
  const bool terminal = spec.value("/process/terminal"_json_pointer, false);

  auto fifos = FifoSet::create(c.id(), terminal);
  if (!fifos.ok()) return fail_local(what, fifos.status().message());
  // Detached, nobody writes stdin: the process's stdin stays open, empty,
  // until `tasks attach` writes to it.
  auto io = StdioCopy::open(fifos->paths(), /*with_stdin=*/!detach);
  if (!io.ok()) return fail_local(what, io.status().message());

  tasks::CreateTaskRequest create;
  create.set_container_id(c.id());
  create.mutable_rootfs()->CopyFrom(rootfs);
  create.set_stdin(fifos->paths().stdin_path);
  create.set_stdout(fifos->paths().stdout_path);
  create.set_stderr(fifos->paths().stderr_path);
  create.set_terminal(terminal);
  tasks::CreateTaskResponse created;
  if (auto st = client.call(&TasksStub::Create, create, &created); !st.ok()) return inv.fail(what, st);
  const ProcessRef init{c.id(), ""};
  const size_t undo_task = undo.push([&client, init] {
    // The task may be running: kill it and wait, or Delete is refused.
    uint32_t status = 0;
    if (kill_process(client, init, SIGKILL, true).ok()) (void)wait_process(client, init, status, kKillWait);
    tasks::DeleteTaskRequest del;
    del.set_container_id(init.container_id);
    tasks::DeleteResponse deleted;
    (void)client.call(&TasksStub::Delete, del, &deleted);
  });
  if (int sig = signals.pending(); sig != 0)
    return fail_local(what, fmt::format("interrupted by signal {} before the task started", sig));

  if (detach) {
    tasks::StartRequest request;
    request.set_container_id(c.id());
    tasks::StartResponse response;
    if (auto st = client.call(&TasksStub::Start, request, &response); !st.ok())
      return inv.fail("start task " + c.id(), st);
    started = true;
    fifos->keep();
    return kExitOk;
  }

  uint32_t exit_status = 0;
  std::string failed;
  if (auto st =
          run_foreground(client, init, terminal, /*start=*/true, *io, signals, exit_status, failed, started);
      !st.ok())
    return inv.fail(failed, st);
  tasks::DeleteTaskRequest del;
  del.set_container_id(c.id());
  tasks::DeleteResponse deleted;
  if (auto st = client.call(&TasksStub::Delete, del, &deleted); !st.ok())
    return inv.fail("delete task " + c.id(), st);
  undo.discard(undo_task);
  return exit_code_of(exit_status);
}

}  // namespace berth::cli
