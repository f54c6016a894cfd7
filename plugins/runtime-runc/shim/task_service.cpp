#include "task_service.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth/log.hpp"
#include "bundle.hpp"
#include "files/atomic_file.hpp"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "google/protobuf/empty.pb.h"
#include "rootfs.hpp"
#include "ttrpc/typed.hpp"

namespace berth::shim {
namespace {

namespace task = containerd::task::v2;
namespace events = containerd::events;
namespace types = containerd::v1::types;
using Empty = google::protobuf::Empty;
constexpr char kService[] = "containerd.task.v2.Task";

void set_time(google::protobuf::Timestamp* ts, std::int64_t ns) {
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int>(ns % 1000000000));
}

// A type URL names the message after its last '/'.
bool is_type(const google::protobuf::Any& any, std::string_view name) {
  const std::string& url = any.type_url();
  return url == name ||
         (url.size() > name.size() && url.ends_with(name) && url[url.size() - name.size() - 1] == '/');
}

types::Status wire_state(ProcState s) {
  switch (s) {
    case ProcState::kCreated:
      return types::CREATED;
    case ProcState::kRunning:
      return types::RUNNING;
    case ProcState::kPaused:
      return types::PAUSED;
    case ProcState::kStopped:
      return types::STOPPED;
  }
  return types::UNKNOWN;
}

}  // namespace

TaskService::~TaskService() = default;

template <class Event>
void TaskService::send(const std::string& topic, const std::string& type, const Event& event) {
  publisher_.publish(topic, type, event);
}

Result<Process*> TaskService::find(const std::string& id, const std::string& exec_id) {
  if (!container_ || container_->id != id) return not_found("container " + id + " not created");
  if (exec_id.empty()) return &container_->init;
  auto it = container_->execs.find(exec_id);
  if (it == container_->execs.end()) return not_found("process does not exist " + exec_id);
  return it->second.get();
}

void TaskService::exited(Process& p, std::uint32_t status) {
  p.state = ProcState::kStopped;
  p.exit_status = status;
  p.exited_at_ns = now_ns();
  if (p.io) p.io->finish();
  if (p.exec_id.empty()) {
    if (Status s = write_exit_record(container_->bundle, {p.pid, status, p.exited_at_ns}); !s.ok())
      log::error("record the exit of {}: {}", container_->id, s.message());
  }
  events::TaskExit e;
  e.set_container_id(container_->id);
  e.set_id(p.exec_id.empty() ? container_->id : p.exec_id);
  e.set_pid(static_cast<std::uint32_t>(p.pid));
  e.set_exit_status(status);
  set_time(e.mutable_exited_at(), p.exited_at_ns);
  // Queued before any Wait answers, as containerd's shim does.
  send("/tasks/exit", "containerd.events.TaskExit", e);
  task::WaitResponse w;
  w.set_exit_status(status);
  set_time(w.mutable_exited_at(), p.exited_at_ns);
  const std::string bytes = w.SerializeAsString();
  for (auto& reply : p.waiters) reply(bytes);
  p.waiters.clear();
}

void TaskService::on_exit(pid_t pid, int wait_status) {
  if (!container_) return;
  Process* p = nullptr;
  if (container_->init.pid == pid) p = &container_->init;
  for (auto& [id, e] : container_->execs) {
    if (e->pid == pid) p = e.get();
  }
  if (p == nullptr || p->state == ProcState::kStopped) return;
  exited(*p, exit_status_of(wait_status));
}

void TaskService::register_on(ttrpc::Server& server) {
  ttrpc::handle<task::CreateTaskRequest, task::CreateTaskResponse>(
      server, kService, "Create",
      [this](const task::CreateTaskRequest& r, const ttrpc::Call&) -> Result<task::CreateTaskResponse> {
        if (container_)
          return already_exists("container " + container_->id + " already created in this shim");
        if (r.id() != flags_.id) return invalid_argument("this shim runs " + flags_.id + ", not " + r.id());
        if (!r.checkpoint().empty())
          return unimplemented("restoring from a checkpoint is not supported by Berth's shim");
        RuntimeOptions opts;
        // As containerd's shim: runc's state under <Root>/<namespace>.
        std::string root = "/run/berth/runc";
        if (r.has_options() && is_type(r.options(), "containerd.runc.v1.Options")) {
          containerd::runc::v1::Options o;
          if (!o.ParseFromString(r.options().value()))
            return invalid_argument("malformed containerd.runc.v1.Options in the task's options");
          if (!o.binary_name().empty()) opts.binary = o.binary_name();
          if (!o.root().empty()) root = o.root();
          opts.systemd_cgroup = o.systemd_cgroup();
          opts.no_pivot_root = o.no_pivot_root();
          opts.no_new_keyring = o.no_new_keyring();
        }
        opts.root = root + "/" + flags_.ns;
        const std::string bundle = r.bundle().empty() ? flags_.bundle : r.bundle();
        if (Status s = write_runtime_options(bundle, opts); !s.ok()) return s;
        auto c = std::make_unique<Container>();
        c->id = r.id();
        c->bundle = bundle;
        c->runc = std::make_unique<Runc>(opts, bundle);
        c->init.stdio = {r.stdin(), r.stdout(), r.stderr(), r.terminal()};
        const std::string rootfs = bundle + "/rootfs";
        if (Status s = mount_rootfs(r.rootfs(), rootfs); !s.ok()) return s;
        c->rootfs_mounted = r.rootfs_size() > 0;
        auto undo = [&] {
          if (c->rootfs_mounted) (void)unmount_all(rootfs);
        };
        auto io = ProcessIo::open(loop_, c->init.stdio);
        if (!io.ok()) {
          undo();
          return io.status();
        }
        c->init.io = std::move(io).value();
        const std::string pid_file = bundle + "/init.pid";
        Status created =
            c->runc->create(r.id(), pid_file, c->init.io->console_socket(), c->init.io->child_stdio());
        if (!created.ok()) {
          c->init.io->abandon();
          (void)c->runc->remove(r.id(), true);
          undo();
          return created;
        }
        c->init.pid = read_pid_file(pid_file);
        if (Status s = c->init.io->started(); !s.ok()) {
          (void)c->runc->remove(r.id(), true);
          undo();
          return s;
        }
        if (auto cg = Cgroup::of_process(c->init.pid); cg.ok()) c->cgroup = std::make_unique<Cgroup>(*cg);
        container_ = std::move(c);
        events::TaskCreate e;
        e.set_container_id(r.id());
        e.set_bundle(bundle);
        *e.mutable_rootfs() = r.rootfs();
        e.mutable_io()->set_stdin(r.stdin());
        e.mutable_io()->set_stdout(r.stdout());
        e.mutable_io()->set_stderr(r.stderr());
        e.mutable_io()->set_terminal(r.terminal());
        e.set_pid(static_cast<std::uint32_t>(container_->init.pid));
        send("/tasks/create", "containerd.events.TaskCreate", e);
        task::CreateTaskResponse out;
        out.set_pid(static_cast<std::uint32_t>(container_->init.pid));
        return out;
      });

  ttrpc::handle<task::StartRequest, task::StartResponse>(
      server, kService, "Start",
      [this](const task::StartRequest& r, const ttrpc::Call&) -> Result<task::StartResponse> {
        auto p = find(r.id(), r.exec_id());
        if (!p.ok()) return p.status();
        Process& proc = **p;
        if (proc.state != ProcState::kCreated)
          return failed_precondition("process " + (r.exec_id().empty() ? r.id() : r.exec_id()) +
                                     " already started");
        task::StartResponse out;
        if (r.exec_id().empty()) {
          if (Status s = container_->runc->start(r.id()); !s.ok()) return s;
          proc.state = ProcState::kRunning;
          if (container_->cgroup) {
            auto watch = container_->cgroup->watch_oom(loop_, [this] {
              if (!container_) return;
              events::TaskOOM e;
              e.set_container_id(container_->id);
              send("/tasks/oom", "containerd.events.TaskOOM", e);
            });
            if (watch.ok()) {
              container_->oom = std::move(watch).value();
            } else {
              log::warn("no OOM events for {}: {}", r.id(), watch.status().message());
            }
          }
          events::TaskStart e;
          e.set_container_id(r.id());
          e.set_pid(static_cast<std::uint32_t>(proc.pid));
          send("/tasks/start", "containerd.events.TaskStart", e);
        } else {
          if (container_->init.state == ProcState::kStopped)
            return failed_precondition("container " + r.id() + " is stopped: cannot start exec " +
                                       r.exec_id());
          const std::string pid_file = container_->bundle + "/" + r.exec_id() + ".pid";
          Status s = container_->runc->exec(r.id(), proc.spec_file, pid_file, proc.io->console_socket(),
                                            proc.io->child_stdio());
          ::unlink(proc.spec_file.c_str());
          if (!s.ok()) {
            proc.io->abandon();
            return s;
          }
          proc.pid = read_pid_file(pid_file);
          ::unlink(pid_file.c_str());
          proc.state = ProcState::kRunning;
          if (Status started = proc.io->started(); !started.ok())
            log::warn("exec {} stdio: {}", r.exec_id(), started.message());
          events::TaskExecStarted e;
          e.set_container_id(r.id());
          e.set_exec_id(r.exec_id());
          e.set_pid(static_cast<std::uint32_t>(proc.pid));
          send("/tasks/exec-started", "containerd.events.TaskExecStarted", e);
        }
        out.set_pid(static_cast<std::uint32_t>(proc.pid));
        return out;
      });

  ttrpc::handle<task::DeleteRequest, task::DeleteResponse>(
      server, kService, "Delete",
      [this](const task::DeleteRequest& r, const ttrpc::Call&) -> Result<task::DeleteResponse> {
        auto p = find(r.id(), r.exec_id());
        if (!p.ok()) return p.status();
        Process& proc = **p;
        if (proc.state == ProcState::kRunning || proc.state == ProcState::kPaused) {
          return failed_precondition("cannot delete process " + (r.exec_id().empty() ? r.id() : r.exec_id()) +
                                     ": it is still running");
        }
        task::DeleteResponse out;
        out.set_pid(static_cast<std::uint32_t>(proc.pid));
        out.set_exit_status(proc.exit_status);
        set_time(out.mutable_exited_at(), proc.exited_at_ns);
        if (!r.exec_id().empty()) {
          container_->execs.erase(r.exec_id());
          return out;
        }
        // The init: the container goes, with everything it held.
        if (proc.state == ProcState::kCreated) {
          out.set_exit_status(137);
          out.mutable_exited_at()->Clear();
          set_time(out.mutable_exited_at(), now_ns());
        }
        if (Status s = container_->runc->remove(r.id(), true); !s.ok()) return s;
        container_->oom.reset();
        container_->execs.clear();
        container_->init.io.reset();
        if (container_->rootfs_mounted) {
          if (Status s = unmount_all(container_->bundle + "/rootfs"); !s.ok()) return s;
        }
        events::TaskDelete e;
        e.set_container_id(r.id());
        e.set_pid(out.pid());
        e.set_exit_status(out.exit_status());
        *e.mutable_exited_at() = out.exited_at();
        e.set_id(r.id());
        container_.reset();
        send("/tasks/delete", "containerd.events.TaskDelete", e);
        return out;
      });

  ttrpc::handle<task::ExecProcessRequest, Empty>(
      server, kService, "Exec",
      [this](const task::ExecProcessRequest& r, const ttrpc::Call&) -> Result<Empty> {
        if (!container_ || container_->id != r.id()) return not_found("container " + r.id() + " not created");
        if (r.exec_id().empty()) return invalid_argument("an exec needs an exec id");
        if (container_->execs.contains(r.exec_id())) return already_exists("id " + r.exec_id());
        if (container_->init.state == ProcState::kStopped)
          return failed_precondition("container " + r.id() + " is stopped");
        auto proc = std::make_unique<Process>();
        proc->exec_id = r.exec_id();
        proc->stdio = {r.stdin(), r.stdout(), r.stderr(), r.terminal()};
        proc->spec_file = container_->bundle + "/" + r.exec_id() + ".process.json";
        if (Status s =
                files::replace_file(proc->spec_file, r.spec().value(), files::Durability::kAtomicOnly, 0600);
            !s.ok())
          return s;
        auto io = ProcessIo::open(loop_, proc->stdio);
        if (!io.ok()) {
          ::unlink(proc->spec_file.c_str());
          return io.status();
        }
        proc->io = std::move(io).value();
        container_->execs[r.exec_id()] = std::move(proc);
        events::TaskExecAdded e;
        e.set_container_id(r.id());
        e.set_exec_id(r.exec_id());
        send("/tasks/exec-added", "containerd.events.TaskExecAdded", e);
        return Empty();
      });

  ttrpc::handle<task::ResizePtyRequest, Empty>(
      server, kService, "ResizePty",
      [this](const task::ResizePtyRequest& r, const ttrpc::Call&) -> Result<Empty> {
        auto p = find(r.id(), r.exec_id());
        if (!p.ok()) return p.status();
        if (!(*p)->io) return not_found("process has no stdio");
        if (Status s = (*p)->io->resize(r.width(), r.height()); !s.ok()) return s;
        return Empty();
      });

  ttrpc::handle<task::StateRequest, task::StateResponse>(
      server, kService, "State",
      [this](const task::StateRequest& r, const ttrpc::Call&) -> Result<task::StateResponse> {
        auto p = find(r.id(), r.exec_id());
        if (!p.ok()) return p.status();
        const Process& proc = **p;
        task::StateResponse out;
        out.set_id(r.exec_id().empty() ? r.id() : r.exec_id());
        out.set_bundle(container_->bundle);
        out.set_pid(static_cast<std::uint32_t>(proc.pid));
        out.set_status(wire_state(proc.state));
        out.set_stdin(proc.stdio.in);
        out.set_stdout(proc.stdio.out);
        out.set_stderr(proc.stdio.err);
        out.set_terminal(proc.stdio.terminal);
        out.set_exit_status(proc.exit_status);
        if (proc.exited_at_ns != 0) set_time(out.mutable_exited_at(), proc.exited_at_ns);
        out.set_exec_id(r.exec_id());
        return out;
      });

  ttrpc::handle<task::PauseRequest, Empty>(
      server, kService, "Pause", [this](const task::PauseRequest& r, const ttrpc::Call&) -> Result<Empty> {
        auto p = find(r.id(), "");
        if (!p.ok()) return p.status();
        if ((*p)->state != ProcState::kRunning)
          return failed_precondition("container " + r.id() + " is not running");
        if (Status s = container_->runc->pause(r.id()); !s.ok()) return s;
        (*p)->state = ProcState::kPaused;
        events::TaskPaused e;
        e.set_container_id(r.id());
        send("/tasks/paused", "containerd.events.TaskPaused", e);
        return Empty();
      });

  ttrpc::handle<task::ResumeRequest, Empty>(
      server, kService, "Resume", [this](const task::ResumeRequest& r, const ttrpc::Call&) -> Result<Empty> {
        auto p = find(r.id(), "");
        if (!p.ok()) return p.status();
        if ((*p)->state != ProcState::kPaused)
          return failed_precondition("container " + r.id() + " is not paused");
        if (Status s = container_->runc->resume(r.id()); !s.ok()) return s;
        (*p)->state = ProcState::kRunning;
        events::TaskResumed e;
        e.set_container_id(r.id());
        send("/tasks/resumed", "containerd.events.TaskResumed", e);
        return Empty();
      });

  ttrpc::handle<task::KillRequest, Empty>(
      server, kService, "Kill", [this](const task::KillRequest& r, const ttrpc::Call&) -> Result<Empty> {
        auto p = find(r.id(), r.exec_id());
        if (!p.ok()) return p.status();
        Process& proc = **p;
        if (proc.state == ProcState::kStopped) return not_found("process already finished");
        if (r.exec_id().empty()) {
          if (Status s = container_->runc->kill(r.id(), static_cast<int>(r.signal()), r.all()); !s.ok()) {
            if (s.message().find("not running") != std::string::npos)
              return not_found("process already finished");
            return s;
          }
          return Empty();
        }
        if (proc.state == ProcState::kCreated) return failed_precondition("process not created");
        if (::kill(proc.pid, static_cast<int>(r.signal())) != 0) {
          if (errno == ESRCH) return not_found("process already finished");
          return errno_status("kill exec " + r.exec_id(), errno);
        }
        return Empty();
      });

  ttrpc::handle<task::PidsRequest, task::PidsResponse>(
      server, kService, "Pids",
      [this](const task::PidsRequest& r, const ttrpc::Call&) -> Result<task::PidsResponse> {
        auto p = find(r.id(), "");
        if (!p.ok()) return p.status();
        auto pids = container_->runc->ps(r.id());
        if (!pids.ok()) return pids.status();
        task::PidsResponse out;
        for (pid_t pid : *pids) {
          auto* info = out.add_processes();
          info->set_pid(static_cast<std::uint32_t>(pid));
          for (auto& [id, e] : container_->execs) {
            if (e->pid != pid) continue;
            containerd::runc::v1::ProcessDetails d;
            d.set_exec_id(id);
            info->mutable_info()->set_type_url("containerd.runc.v1.ProcessDetails");
            info->mutable_info()->set_value(d.SerializeAsString());
          }
        }
        return out;
      });

  ttrpc::handle<task::CloseIORequest, Empty>(
      server, kService, "CloseIO",
      [this](const task::CloseIORequest& r, const ttrpc::Call&) -> Result<Empty> {
        auto p = find(r.id(), r.exec_id());
        if (!p.ok()) return p.status();
        if (r.stdin() && (*p)->io) (*p)->io->close_stdin();
        return Empty();
      });

  ttrpc::handle<task::CheckpointTaskRequest, Empty>(
      server, kService, "Checkpoint",
      [this](const task::CheckpointTaskRequest& r, const ttrpc::Call&) -> Result<Empty> {
        if (auto p = find(r.id(), ""); !p.ok()) return p.status();
        return unimplemented("checkpoint is not supported by Berth's shim (containerd-shim-berth-v2)");
      });

  ttrpc::handle<task::UpdateTaskRequest, Empty>(
      server, kService, "Update",
      [this](const task::UpdateTaskRequest& r, const ttrpc::Call&) -> Result<Empty> {
        auto p = find(r.id(), "");
        if (!p.ok()) return p.status();
        if ((*p)->state == ProcState::kStopped)
          return failed_precondition("container " + r.id() + " is stopped");
        if (r.resources().value().empty()) return invalid_argument("update with no resources");
        if (Status s = container_->runc->update(r.id(), r.resources().value()); !s.ok()) return s;
        return Empty();
      });

  server.handle_async(kService, "Wait", [this](const ttrpc::Call& call, const ttrpc::Reply& reply) {
    task::WaitRequest r;
    if (!r.ParseFromString(call.payload)) {
      reply(internal("ttrpc: error unmarshalling payload of Wait"));
      return;
    }
    auto p = find(r.id(), r.exec_id());
    if (!p.ok()) {
      reply(p.status());
      return;
    }
    Process& proc = **p;
    if (proc.state != ProcState::kStopped) {
      proc.waiters.push_back(reply);
      return;
    }
    task::WaitResponse out;
    out.set_exit_status(proc.exit_status);
    set_time(out.mutable_exited_at(), proc.exited_at_ns);
    reply(out.SerializeAsString());
  });

  ttrpc::handle<task::StatsRequest, task::StatsResponse>(
      server, kService, "Stats",
      [this](const task::StatsRequest& r, const ttrpc::Call&) -> Result<task::StatsResponse> {
        auto p = find(r.id(), "");
        if (!p.ok()) return p.status();
        if (!container_->cgroup) return not_found("cgroup does not exist");
        auto m = container_->cgroup->metrics();
        if (!m.ok()) return m.status();
        task::StatsResponse out;
        out.mutable_stats()->set_type_url(m->first);
        out.mutable_stats()->set_value(m->second);
        return out;
      });

  ttrpc::handle<task::ConnectRequest, task::ConnectResponse>(
      server, kService, "Connect",
      [this](const task::ConnectRequest& r, const ttrpc::Call&) -> Result<task::ConnectResponse> {
        task::ConnectResponse out;
        out.set_shim_pid(static_cast<std::uint32_t>(::getpid()));
        if (container_ && container_->id == r.id())
          out.set_task_pid(static_cast<std::uint32_t>(container_->init.pid));
        return out;
      });

  ttrpc::handle<task::ShutdownRequest, Empty>(
      server, kService, "Shutdown",
      [this](const task::ShutdownRequest&, const ttrpc::Call&) -> Result<Empty> {
        // Still serving a container: containerd's shim answers and stays.
        if (container_) return Empty();
        shutting_down_ = true;
        loop_.stop();
        return Empty();
      });
}

}  // namespace berth::shim
