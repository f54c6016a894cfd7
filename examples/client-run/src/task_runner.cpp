#include "task_runner.hpp"

namespace client_run {

TaskWaiter::TaskWaiter(Session& session, std::string container_id)
    : context_(session.context()), result_(promise_.get_future().share()) {
  thread_ = std::thread([this, &session, id = std::move(container_id)] {
    tasks_v1::WaitRequest request;
    request.set_container_id(id);
    tasks_v1::WaitResponse response;
    const auto status = session.tasks().Wait(context_.get(), request, &response);
    if (status.ok()) {
      promise_.set_value(response.exit_status());
    } else {
      promise_.set_value(fail("wait for task " + id + ": " + describe(status)));
    }
  });
}

TaskWaiter::~TaskWaiter() {
  context_->TryCancel();
  thread_.join();
}

std::optional<Result<std::uint32_t>> TaskWaiter::wait_for(std::chrono::milliseconds timeout) {
  if (result_.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return result_.get();
}

Status kill_task(Session& session, const std::string& id, int signal, bool all) {
  tasks_v1::KillRequest request;
  request.set_container_id(id);
  request.set_signal(static_cast<std::uint32_t>(signal));
  request.set_all(all);
  google::protobuf::Empty empty;
  return check(session.tasks().Kill(session.context().get(), request, &empty), "kill task " + id);
}

Result<std::uint32_t> delete_task(Session& session, const std::string& id) {
  tasks_v1::DeleteTaskRequest request;
  request.set_container_id(id);
  tasks_v1::DeleteResponse response;
  if (auto s =
          check(session.tasks().Delete(session.context().get(), request, &response), "delete task " + id);
      !s)
    return std::unexpected(s.error());
  return response.exit_status();
}

}  // namespace client_run
