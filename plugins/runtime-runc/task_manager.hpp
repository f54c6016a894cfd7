// io.containerd.runtime.v2.task: berth::TaskRuntime over shim v2. One shim
// process per task (Berth's containerd-shim-berth-v2, Debian's
// containerd-shim-runc-v2, any shim that speaks containerd's protocol),
// started from the task's bundle and spoken to over ttrpc.
//
// Tasks outlive the daemon: closing the manager only hangs up on the shims.
// On start it finds every bundle under its state directory, dials each
// shim (in parallel, failing fast) and restores the task; a bundle whose
// shim is gone is buried: the shim binary's `delete` cleans up after it and
// reports the exit, the task stays listed as stopped with that status (a
// tombstone) until it is deleted, and /tasks/exit is published. A shim that
// dies while the daemon runs is buried the same way, by a reaper thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "berth/events.hpp"
#include "berth/instance.hpp"
#include "berth/metrics.hpp"
#include "berth/tasks.hpp"
#include "bundle.hpp"
#include "runtime_config.hpp"
#include "shim_binary.hpp"
#include "shim_logs.hpp"
#include "shim_task.hpp"
#include "tree_remover.hpp"

namespace berth::runtime_runc {

struct ManagerOptions {
  std::filesystem::path state;  // bundles: <state>/<ns>/<id>
  std::filesystem::path root;   // work dirs: <root>/<ns>/<id>
  RuntimeConfig config;
  DaemonAddress daemon;
  std::shared_ptr<EventPublisher> events;  // may be null
};

class TaskManager final : public Instance, public TaskRuntime, public MetricsSource {
 public:
  // Restores the tasks found under options.state.
  static Result<std::shared_ptr<TaskManager>> open(ManagerOptions options);
  ~TaskManager() override;
  TaskManager(const TaskManager&) = delete;
  TaskManager& operator=(const TaskManager&) = delete;

  // Hangs up on every shim and stops the reaper; the tasks keep running.
  Status close() override;

  Result<ProcessState> create(const TaskCreate& request) override;
  Result<uint32_t> start(std::string_view ns, std::string_view id, std::string_view exec_id) override;
  Result<ProcessExit> remove(std::string_view ns, std::string_view id) override;
  Result<ProcessExit> remove_process(std::string_view ns, std::string_view id,
                                     std::string_view exec_id) override;
  Result<ProcessState> state(std::string_view ns, std::string_view id, std::string_view exec_id) override;
  Result<std::vector<ProcessState>> list(std::string_view ns) override;
  Status kill(std::string_view ns, std::string_view id, std::string_view exec_id, uint32_t signal,
              bool all) override;
  Status exec(std::string_view ns, std::string_view id, std::string_view exec_id, const TaskIO& io,
              const AnyValue& process_spec) override;
  Status resize_pty(std::string_view ns, std::string_view id, std::string_view exec_id, uint32_t width,
                    uint32_t height) override;
  Status close_stdin(std::string_view ns, std::string_view id, std::string_view exec_id) override;
  Status pause(std::string_view ns, std::string_view id) override;
  Status resume(std::string_view ns, std::string_view id) override;
  Result<std::vector<ProcessInfo>> pids(std::string_view ns, std::string_view id) override;
  Status update(std::string_view ns, std::string_view id, const AnyValue& resources,
                const std::map<std::string, std::string>& annotations) override;
  Result<AnyValue> stats(std::string_view ns, std::string_view id) override;
  Result<ProcessExit> wait(std::string_view ns, std::string_view id, std::string_view exec_id,
                           const CancelCheck& cancelled) override;

  // For the metrics endpoint (task_manager_metrics.cpp): every live task's
  // cgroup figures, read through stats() exactly as Tasks.Metrics reads
  // them, and the shims running, by shim binary.
  std::vector<metrics::Family> collect() override;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, id

  struct Task {
    Task(Bundle b, std::filesystem::path shim_binary)
        : bundle(std::move(b)), binary(std::move(shim_binary)) {}
    Bundle bundle;
    std::filesystem::path binary;    // the shim binary, for its `delete`
    std::unique_ptr<ShimTask> shim;  // set once connected; never replaced
    uint32_t pid = 0;                // the init process's
    TaskIO io;
    std::optional<ProcessExit> tombstone;  // guarded by mu_: set when its shim was buried
    std::mutex remove_mu;                  // one Delete at a time
  };

  explicit TaskManager(ManagerOptions options);
  Result<std::shared_ptr<Task>> find(std::string_view ns, std::string_view id);
  std::optional<ProcessExit> tombstone_of(const Task& task);
  // The task's live shim, or NotFound "process already finished" once buried.
  Result<ShimTask*> live(std::string_view ns, std::string_view id, std::shared_ptr<Task>* task_out = nullptr);
  ShimTask::OnLost on_lost(Key key);
  void reaper_loop();
  // Cleans up after a task whose shim is gone and records its exit.
  void bury(const Key& key, const std::shared_ptr<Task>& task);
  // Removes the bundle and stops reading the shim's log.
  void release(const Task& task);
  Status restore();
  void restore_one(const Key& key, const std::shared_ptr<Task>& task);
  std::string who(const Bundle& b) const { return b.ns() + "/" + b.id(); }
  void publish_exit(const Task& task, const ProcessExit& exit, bool deleted);

  ManagerOptions options_;
  ShimLogs logs_;
  TreeRemover remover_;  // bundles deleted tasks leave, removed off the caller's path

  std::mutex mu_;
  std::condition_variable buried_;  // a tombstone was set
  std::map<Key, std::shared_ptr<Task>> tasks_;
  std::set<Key> creating_;  // ids reserved by a Create in progress
  std::deque<Key> lost_;    // shims that died, for the reaper
  std::condition_variable reaper_wake_;
  bool closed_ = false;
  std::thread reaper_;
};

}  // namespace berth::runtime_runc
