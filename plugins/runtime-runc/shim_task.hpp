// The daemon's side of one shim: containerd's shim v2 task API
// (containerd.task.v2.Task) over a ttrpc connection, in the SDK's terms.
//
// Waits are shared: the first waiter for a process starts one Wait call on
// a thread of the connection's; every other waiter for that process, and
// every later one, gets its answer. A waiter gives up when its CancelCheck
// says so, without disturbing the others.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "berth/tasks.hpp"
#include "ttrpc/client.hpp"

namespace berth::runtime_runc {

class ShimTask {
 public:
  // Called once, from the connection's reader thread, when the shim goes
  // away without having been shut down: it died.
  using OnLost = std::function<void()>;

  // Dials the shim at `address` ("unix:///...") and asks who it is
  // (Connect). Unavailable when nothing answers within `timeout`.
  static Result<std::unique_ptr<ShimTask>> connect(std::string_view address, std::string ns, std::string id,
                                                   std::chrono::milliseconds timeout, OnLost on_lost);
  // Closes the connection (the shim keeps running) and joins the waiters.
  ~ShimTask();
  ShimTask(const ShimTask&) = delete;
  ShimTask& operator=(const ShimTask&) = delete;

  [[nodiscard]] uint32_t shim_pid() const { return shim_pid_; }

  Result<uint32_t> create(const std::filesystem::path& bundle, const TaskCreate& request,
                          const std::optional<AnyValue>& options);
  Result<uint32_t> start(std::string_view exec_id);
  Result<ProcessExit> remove(std::string_view exec_id);
  Result<ProcessState> state(std::string_view exec_id);
  Status kill(std::string_view exec_id, uint32_t signal, bool all);
  Status exec(std::string_view exec_id, const TaskIO& io, const AnyValue& spec);
  Status resize_pty(std::string_view exec_id, uint32_t width, uint32_t height);
  Status close_stdin(std::string_view exec_id);
  Status pause();
  Status resume();
  Result<std::vector<ProcessInfo>> pids();
  Status update(const AnyValue& resources, const std::map<std::string, std::string>& annotations);
  Result<AnyValue> stats();
  // Unavailable when the connection is lost before the process exits.
  Result<ProcessExit> wait(std::string_view exec_id, const CancelCheck& cancelled);

  // Tells the shim to exit (after the task's Delete) and marks the
  // connection's end as expected, so OnLost is not called.
  void shut_down();

 private:
  struct Waiter {
    std::optional<Result<ProcessExit>> result;  // guarded by ShimTask::mu_
    std::condition_variable done;
  };

  ShimTask(std::string ns, std::string id) : ns_(std::move(ns)), id_(std::move(id)) {}
  // Closes the connection without telling the shim anything.
  void shut_down_quietly();
  template <class Resp, class Req>
  Result<Resp> call(std::string_view method, const Req& request,
                    std::chrono::nanoseconds timeout = std::chrono::seconds(60));
  template <class Req>
  Status call_empty(std::string_view method, const Req& request);
  void wait_call(const std::string& exec_id, const std::shared_ptr<Waiter>& waiter);

  const std::string ns_;
  const std::string id_;
  uint32_t shim_pid_ = 0;
  std::unique_ptr<ttrpc::Client> client_;
  // Set before an expected end of the connection; read by its on_close.
  std::shared_ptr<std::atomic<bool>> closing_ = std::make_shared<std::atomic<bool>>(false);

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Waiter>> waiters_;
  // One thread per Wait call in flight, with the waiter it answers; joined
  // once answered (when the next Wait call starts) or at the end.
  std::vector<std::pair<std::thread, std::shared_ptr<Waiter>>> wait_threads_;
};

}  // namespace berth::runtime_runc
