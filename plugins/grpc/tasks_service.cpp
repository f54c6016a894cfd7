#include "tasks_service.hpp"

#include <string>
#include <utility>
#include <vector>

#include "berth/filters.hpp"
#include "cancel_check.hpp"
#include "clock/clock.hpp"
#include "grpc_status.hpp"
#include "pb_convert.hpp"
#include "task_pb.hpp"

namespace berth::api {
namespace {

// The calls about one task (all but List and Metrics): find the container,
// then run `fn` with its namespace and record.
template <class Target, class Fn>
grpc::Status on_task(const Result<Target>& target, Fn&& fn) {
  if (!target.ok()) return to_grpc(target.status());
  return to_grpc(std::forward<Fn>(fn)(target->ns, target->container));
}

void to_pb(const ProcessExit& exit, std::string_view id, tasks_v1::DeleteResponse* out) {
  out->set_id(std::string(id));
  out->set_pid(exit.pid);
  out->set_exit_status(exit.exit_status);
  set_exit_time(exit.exited_at, out->mutable_exited_at());
}

Result<Filter> parse_filters(const std::vector<std::string>& given) {
  std::vector<std::string> filters;
  for (const auto& f : given) {
    if (!f.empty()) filters.push_back(f);  // ctr sends "" for "no filter"
  }
  return Filter::parse(filters);
}

}  // namespace

Result<TasksService::Target> TasksService::target(const grpc::ServerContext& ctx, const std::string& id) {
  auto ns = request_namespace(ctx);
  if (!ns.ok()) return ns.status();
  Result<Container> container = not_found("container " + id);
  BERTH_RETURN_IF_ERROR(md_->view([&](Transaction& tx) -> Status {
    container = containers_->get(tx, *ns, id);
    return container.status();
  }));
  return Target{std::move(*ns), std::move(*container)};
}

grpc::Status TasksService::Create(grpc::ServerContext* ctx, const tasks_v1::CreateTaskRequest* req,
                                  tasks_v1::CreateTaskResponse* out) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    auto request = task_create(ns, c, *req);
    if (!request.ok()) return request.status();
    auto created = runtime_->create(*request);
    if (!created.ok()) return created.status();
    out->set_container_id(c.id);
    out->set_pid(created->pid);
    return {};
  });
}

grpc::Status TasksService::Start(grpc::ServerContext* ctx, const tasks_v1::StartRequest* req,
                                 tasks_v1::StartResponse* out) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    auto pid = runtime_->start(ns, c.id, req->exec_id());
    if (!pid.ok()) return pid.status();
    out->set_pid(*pid);
    return {};
  });
}

grpc::Status TasksService::Delete(grpc::ServerContext* ctx, const tasks_v1::DeleteTaskRequest* req,
                                  tasks_v1::DeleteResponse* out) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    auto exit = runtime_->remove(ns, c.id);
    if (!exit.ok()) return exit.status();
    to_pb(*exit, c.id, out);
    return {};
  });
}

grpc::Status TasksService::DeleteProcess(grpc::ServerContext* ctx, const tasks_v1::DeleteProcessRequest* req,
                                         tasks_v1::DeleteResponse* out) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    // The init process goes with its task (Delete), never on its own.
    if (req->exec_id().empty()) return invalid_argument("delete process: the exec id is empty");
    auto exit = runtime_->remove_process(ns, c.id, req->exec_id());
    if (!exit.ok()) return exit.status();
    to_pb(*exit, req->exec_id(), out);
    return {};
  });
}

grpc::Status TasksService::Get(grpc::ServerContext* ctx, const tasks_v1::GetRequest* req,
                               tasks_v1::GetResponse* out) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    auto state = runtime_->state(ns, c.id, req->exec_id());
    if (!state.ok()) return state.status();
    to_pb(*state, out->mutable_process());
    return {};
  });
}

grpc::Status TasksService::List(grpc::ServerContext* ctx, const tasks_v1::ListTasksRequest* req,
                                tasks_v1::ListTasksResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  auto filter = parse_filters({req->filter()});
  if (!filter.ok()) return to_grpc(filter.status().with_context("list tasks"));
  auto tasks = runtime_->list(*ns);
  if (!tasks.ok()) return to_grpc(tasks.status());
  for (const auto& t : *tasks) {
    if (filter->match([&](const std::vector<std::string>& path) { return task_field(t, path); })) {
      to_pb(t, out->add_tasks());
    }
  }
  return grpc::Status::OK;
}

grpc::Status TasksService::Kill(grpc::ServerContext* ctx, const tasks_v1::KillRequest* req,
                                google::protobuf::Empty*) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) {
    return runtime_->kill(ns, c.id, req->exec_id(), req->signal(), req->all());
  });
}

grpc::Status TasksService::Exec(grpc::ServerContext* ctx, const tasks_v1::ExecProcessRequest* req,
                                google::protobuf::Empty*) {
  // containerd's words, before anything is looked up.
  if (req->exec_id().empty()) return to_grpc(invalid_argument("exec id cannot be empty"));
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    const std::string what = "exec " + req->exec_id() + " in task " + c.id;
    if (!req->has_spec()) return invalid_argument(what + ": the process spec is missing");
    const AnyValue spec = from_pb(req->spec());
    BERTH_RETURN_IF_ERROR(check_json_object(spec, what + ": the process spec"));
    return runtime_->exec(ns, c.id, req->exec_id(),
                          TaskIO{req->stdin(), req->stdout(), req->stderr(), req->terminal()}, spec);
  });
}

grpc::Status TasksService::ResizePty(grpc::ServerContext* ctx, const tasks_v1::ResizePtyRequest* req,
                                     google::protobuf::Empty*) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) {
    return runtime_->resize_pty(ns, c.id, req->exec_id(), req->width(), req->height());
  });
}

grpc::Status TasksService::CloseIO(grpc::ServerContext* ctx, const tasks_v1::CloseIORequest* req,
                                   google::protobuf::Empty*) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    // Stdin is the only stream a client closes; without it, nothing to do (as containerd).
    if (!req->stdin()) return {};
    return runtime_->close_stdin(ns, c.id, req->exec_id());
  });
}

grpc::Status TasksService::Pause(grpc::ServerContext* ctx, const tasks_v1::PauseTaskRequest* req,
                                 google::protobuf::Empty*) {
  return on_task(target(*ctx, req->container_id()),
                 [&](const std::string& ns, const Container& c) { return runtime_->pause(ns, c.id); });
}

grpc::Status TasksService::Resume(grpc::ServerContext* ctx, const tasks_v1::ResumeTaskRequest* req,
                                  google::protobuf::Empty*) {
  return on_task(target(*ctx, req->container_id()),
                 [&](const std::string& ns, const Container& c) { return runtime_->resume(ns, c.id); });
}

grpc::Status TasksService::ListPids(grpc::ServerContext* ctx, const tasks_v1::ListPidsRequest* req,
                                    tasks_v1::ListPidsResponse* out) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    auto pids = runtime_->pids(ns, c.id);
    if (!pids.ok()) return pids.status();
    for (const auto& p : *pids) {
      auto* info = out->add_processes();
      info->set_pid(p.pid);
      if (p.info) api::to_pb(*p.info, info->mutable_info());
    }
    return {};
  });
}

grpc::Status TasksService::Checkpoint(grpc::ServerContext* ctx, const tasks_v1::CheckpointTaskRequest* req,
                                      tasks_v1::CheckpointTaskResponse*) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string&, const Container& c) {
    return unimplemented("checkpoint task " + c.id +
                         ": not supported: Berth does not checkpoint or restore tasks (no CRIU)");
  });
}

grpc::Status TasksService::Update(grpc::ServerContext* ctx, const tasks_v1::UpdateTaskRequest* req,
                                  google::protobuf::Empty*) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    if (!req->has_resources()) return invalid_argument("update task " + c.id + ": the resources are missing");
    return runtime_->update(ns, c.id, from_pb(req->resources()),
                            {req->annotations().begin(), req->annotations().end()});
  });
}

grpc::Status TasksService::Metrics(grpc::ServerContext* ctx, const tasks_v1::MetricsRequest* req,
                                   tasks_v1::MetricsResponse* out) {
  auto ns = request_namespace(*ctx);
  if (!ns.ok()) return to_grpc(ns.status());
  auto filter = parse_filters({req->filters().begin(), req->filters().end()});
  if (!filter.ok()) return to_grpc(filter.status().with_context("task metrics"));
  auto tasks = runtime_->list(*ns);
  if (!tasks.ok()) return to_grpc(tasks.status());
  for (const auto& t : *tasks) {
    // containerd's metrics filter fields: id and namespace.
    const bool wanted =
        filter->match([&](const std::vector<std::string>& path) -> std::optional<std::string> {
          if (path.size() != 1) return std::nullopt;
          if (path[0] == "id") return t.id;
          if (path[0] == "namespace") return *ns;
          return std::nullopt;
        });
    if (!wanted) continue;
    const int64_t collected = clock::now_ns();
    auto stats = runtime_->stats(*ns, t.id);
    // A task deleted since the list is skipped, as containerd does.
    if (stats.status().code() == Code::kNotFound) continue;
    if (!stats.ok()) return to_grpc(stats.status().with_context("metrics of task " + t.id));
    auto* metric = out->add_metrics();
    set_time(collected, metric->mutable_timestamp());
    metric->set_id(t.id);
    api::to_pb(*stats, metric->mutable_data());
  }
  return grpc::Status::OK;
}

grpc::Status TasksService::Wait(grpc::ServerContext* ctx, const tasks_v1::WaitRequest* req,
                                tasks_v1::WaitResponse* out) {
  return on_task(target(*ctx, req->container_id()), [&](const std::string& ns, const Container& c) -> Status {
    CancelCheck cancelled = [this, client = call_cancel_check(*ctx)]() mutable -> Status {
      if (stopping_) return unavailable("berthd is shutting down; the task goes on: wait again");
      return client();
    };
    auto exit = runtime_->wait(ns, c.id, req->exec_id(), cancelled);
    if (!exit.ok()) return exit.status();
    out->set_exit_status(exit->exit_status);
    set_exit_time(exit->exited_at, out->mutable_exited_at());
    return {};
  });
}

}  // namespace berth::api
