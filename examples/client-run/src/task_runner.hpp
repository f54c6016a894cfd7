// The task side of the demo: Tasks.Wait held open on a thread of its own
// (containerd's Go client does the same with a goroutine before Start), so the
// exit status is caught however early the process ends; and the stop that
// every cleanup path uses: SIGKILL if still running, wait, Tasks.Delete.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "session.hpp"

namespace client_run {

class TaskWaiter {
 public:
  TaskWaiter(Session& session, std::string container_id);
  TaskWaiter(const TaskWaiter&) = delete;
  TaskWaiter& operator=(const TaskWaiter&) = delete;
  // Cancels the call if it is still open, and joins the thread.
  ~TaskWaiter();

  // The exit status, or nothing if the task is still running after `timeout`.
  std::optional<Result<std::uint32_t>> wait_for(std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::promise<Result<std::uint32_t>> promise_;
  std::shared_future<Result<std::uint32_t>> result_;
  std::thread thread_;
};

Status kill_task(Session& session, const std::string& id, int signal, bool all);

// Tasks.Delete; the exit status the daemon recorded.
Result<std::uint32_t> delete_task(Session& session, const std::string& id);

}  // namespace client_run
