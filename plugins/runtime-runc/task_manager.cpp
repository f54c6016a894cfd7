#include "task_manager.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>

#include "berth/log.hpp"
#include "clock/clock.hpp"
#include "files/dirs.hpp"

namespace berth::runtime_runc {

namespace fs = std::filesystem;

namespace {

// Dialing a shim found at start-up: a live shim answers at once, a dead one's
// socket refuses at once; this bounds the rest (a shim hung or stopped).
constexpr auto kRestoreDial = std::chrono::milliseconds(2000);
constexpr auto kCreateDial = std::chrono::milliseconds(10000);
// Shims dialed at once at start-up.
constexpr std::size_t kRestoreParallel = 16;
// Exit status of a task whose shim died and could not say (containerd's).
constexpr uint32_t kUnknownExit = 255;
// How often a waiter for a lost shim's burial asks its CancelCheck.
constexpr auto kCancelPoll = std::chrono::milliseconds(100);

std::string task_name(std::string_view ns, std::string_view id) {
  return "task \"" + std::string(id) + "\" in namespace \"" + std::string(ns) + "\"";
}

Status process_finished() { return not_found("process already finished"); }

bool is_dir(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    out.push_back(it->path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TaskManager::TaskManager(ManagerOptions options) : options_(std::move(options)) {}

Result<std::shared_ptr<TaskManager>> TaskManager::open(ManagerOptions options) {
  std::shared_ptr<TaskManager> manager(new TaskManager(std::move(options)));
  BERTH_RETURN_IF_ERROR(manager->restore());
  manager->reaper_ = std::thread([m = manager.get()] { m->reaper_loop(); });
  return manager;
}

TaskManager::~TaskManager() { (void)close(); }

Status TaskManager::close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return {};
    closed_ = true;
  }
  reaper_wake_.notify_all();
  buried_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  // Hanging up is all: every ShimTask's connection closes as expected (no
  // OnLost) and the shims, and their containers, carry on.
  std::map<Key, std::shared_ptr<Task>> tasks;
  {
    std::lock_guard lock(mu_);
    tasks.swap(tasks_);
  }
  tasks.clear();
  return {};
}

ShimTask::OnLost TaskManager::on_lost(Key key) {
  return [this, key = std::move(key)] {
    std::lock_guard lock(mu_);
    if (closed_) return;
    lost_.push_back(key);
    reaper_wake_.notify_one();
  };
}

void TaskManager::reaper_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    reaper_wake_.wait(lock, [&] { return closed_ || !lost_.empty(); });
    if (closed_) return;
    Key key = std::move(lost_.front());
    lost_.pop_front();
    auto it = tasks_.find(key);
    if (it == tasks_.end() || it->second->tombstone) continue;
    auto task = it->second;
    lock.unlock();
    bury(key, task);
    lock.lock();
  }
}

void TaskManager::release(const Task& task) {
  logs_.remove(who(task.bundle));
  auto hidden = task.bundle.hide();
  if (!hidden.ok()) {
    log::warn("task {}: cannot remove its bundle: {}", who(task.bundle), hidden.status().message());
    return;
  }
  for (auto& tree : *hidden) remover_.remove_later(std::move(tree));
}

void TaskManager::bury(const Key& key, const std::shared_ptr<Task>& task) {
  ProcessExit exit{task->pid, kUnknownExit, 0};
  auto cleaned =
      ShimBinary(task->binary, options_.daemon).cleanup(task->bundle.path(), key.first, key.second);
  if (cleaned.ok()) {
    exit = {cleaned->pid != 0 ? cleaned->pid : task->pid, cleaned->exit_status, cleaned->exited_at};
  } else {
    log::warn("task {}: its shim is gone and its delete failed: {}", who(task->bundle),
              cleaned.status().message());
  }
  if (exit.exited_at == 0) exit.exited_at = clock::now_ns();
  log::info("task {}: its shim is gone; the task exited with status {}", who(task->bundle), exit.exit_status);
  release(*task);
  // Under remove_mu, so a Delete that sees the tombstone publishes
  // /tasks/delete only after this /tasks/exit.
  std::lock_guard in_order(task->remove_mu);
  {
    std::lock_guard lock(mu_);
    task->tombstone = exit;
  }
  buried_.notify_all();
  publish_exit(*task, exit, /*deleted=*/false);
}

void TaskManager::publish_exit(const Task& task, const ProcessExit& exit, bool deleted) {
  if (!options_.events) return;
  const std::string& id = task.bundle.id();
  Status st =
      deleted
          ? options_.events->publish(task.bundle.ns(), events::kTaskDeleteTopic,
                                     events::TaskDelete{id, id, exit.pid, exit.exit_status, exit.exited_at})
          : options_.events->publish(task.bundle.ns(), events::kTaskExitTopic,
                                     events::TaskExit{id, id, exit.pid, exit.exit_status, exit.exited_at});
  if (!st.ok()) log::warn("task {}: event not published: {}", who(task.bundle), st.message());
}

Result<std::shared_ptr<TaskManager::Task>> TaskManager::find(std::string_view ns, std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(Key(ns, id));
  if (it == tasks_.end()) return not_found(task_name(ns, id) + ": not found");
  return it->second;
}

std::optional<ProcessExit> TaskManager::tombstone_of(const Task& task) {
  std::lock_guard lock(mu_);
  return task.tombstone;
}

Result<ShimTask*> TaskManager::live(std::string_view ns, std::string_view id,
                                    std::shared_ptr<Task>* task_out) {
  auto task = find(ns, id);
  if (!task.ok()) return task.status();
  if (tombstone_of(**task)) return process_finished();
  if (task_out != nullptr) *task_out = *task;
  return (*task)->shim.get();
}

Result<ProcessState> TaskManager::create(const TaskCreate& request) {
  BERTH_RETURN_IF_ERROR(check_path_component("namespace", request.ns));
  BERTH_RETURN_IF_ERROR(check_path_component("task id", request.id));
  const Key key(request.ns, request.id);
  {
    std::lock_guard lock(mu_);
    if (closed_) return unavailable("the task runtime is shutting down");
    if (tasks_.count(key) != 0 || creating_.count(key) != 0)
      return already_exists(task_name(request.ns, request.id) + ": already exists");
    creating_.insert(key);
  }
  struct Unreserve {
    TaskManager* m;
    const Key& key;
    ~Unreserve() {
      std::lock_guard lock(m->mu_);
      m->creating_.erase(key);
    }
  } unreserve{this, key};

  auto binary = resolve_shim(request.runtime, options_.config, options_.daemon.self.parent_path());
  if (!binary.ok()) return binary.status();
  // The request's options win, then the container's, then the configured ones.
  std::optional<AnyValue> options = request.options ? request.options : request.runtime_options;
  if (!options) {
    auto it = options_.config.runtimes.find(request.runtime);
    if (it != options_.config.runtimes.end() && !it->second.options.empty())
      options = it->second.options.to_any();
  }
  auto rooted = with_runc_root(std::move(options), (options_.state / ".runc").string());
  if (!rooted.ok()) return rooted.status();
  options = std::move(rooted).value();

  auto bundle = Bundle::create(options_.state, options_.root, request.ns, request.id, request.spec);
  if (!bundle.ok()) return bundle.status();
  auto task = std::make_shared<Task>(*bundle, *binary);
  task->io = request.io;
  const ShimBinary shim_binary(*binary, options_.daemon);

  auto made = [&]() -> Result<uint32_t> {
    auto log_fifo = open_shim_log(bundle->path());
    if (!log_fifo.ok()) return log_fifo.status();
    logs_.add(who(*bundle), std::move(log_fifo).value());
    auto address = shim_binary.start(bundle->path(), request.ns, request.id, options);
    if (!address.ok()) return address.status();
    auto shim = ShimTask::connect(*address, request.ns, request.id, kCreateDial, on_lost(key));
    if (!shim.ok()) return shim.status();
    task->shim = std::move(shim).value();
    return task->shim->create(bundle->path(), request, options);
  }();
  if (!made.ok()) {
    // Leave nothing behind: the shim's task, the shim, the mounts, the bundle.
    if (task->shim) {
      (void)task->shim->remove("");
      task->shim->shut_down();
    }
    if (auto cleaned = shim_binary.cleanup(bundle->path(), request.ns, request.id); !cleaned.ok())
      log::debug("task {}: cleanup after a failed create: {}", who(*bundle), cleaned.status().message());
    release(*task);
    return made.status();
  }
  task->pid = *made;
  {
    std::lock_guard lock(mu_);
    tasks_.emplace(key, task);
  }
  ProcessState state;
  state.id = request.id;
  state.pid = task->pid;
  state.status = TaskStatus::kCreated;
  state.io = request.io;
  return state;
}

Result<uint32_t> TaskManager::start(std::string_view ns, std::string_view id, std::string_view exec_id) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->start(exec_id);
}

Result<ProcessExit> TaskManager::remove(std::string_view ns, std::string_view id) {
  auto task = find(ns, id);
  if (!task.ok()) return task.status();
  std::lock_guard one_at_a_time((*task)->remove_mu);
  const Key key(ns, id);
  auto erase = [&] {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(key);
    if (it != tasks_.end() && it->second == *task) tasks_.erase(it);
  };
  if (auto tombstone = tombstone_of(**task)) {
    // Its shim is gone, so nobody else announces the delete.
    erase();
    publish_exit(**task, *tombstone, /*deleted=*/true);
    return *tombstone;
  }
  {
    std::lock_guard lock(mu_);
    if (tasks_.count(key) == 0) return not_found(task_name(ns, id) + ": not found");
  }
  auto exit = (*task)->shim->remove("");
  if (!exit.ok()) return exit.status();
  (*task)->shim->shut_down();
  release(**task);
  erase();
  return exit;
}

Result<ProcessExit> TaskManager::remove_process(std::string_view ns, std::string_view id,
                                                std::string_view exec_id) {
  if (exec_id.empty()) return invalid_argument("an exec id is required to delete a process");
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->remove(exec_id);
}

Result<ProcessState> TaskManager::state(std::string_view ns, std::string_view id, std::string_view exec_id) {
  auto task = find(ns, id);
  if (!task.ok()) return task.status();
  auto from_tombstone = [&](const ProcessExit& exit) -> Result<ProcessState> {
    if (!exec_id.empty())
      return not_found("process \"" + std::string(exec_id) + "\": process already finished");
    ProcessState state;
    state.id = std::string(id);
    state.pid = exit.pid;
    state.status = TaskStatus::kStopped;
    state.io = (*task)->io;
    state.exit_status = exit.exit_status;
    state.exited_at = exit.exited_at;
    return state;
  };
  if (auto tombstone = tombstone_of(**task)) return from_tombstone(*tombstone);
  auto state = (*task)->shim->state(exec_id);
  if (!state.ok() && state.status().code() == Code::kUnavailable) {
    // Its shim just died: the reaper is burying it.
    if (auto tombstone = tombstone_of(**task)) return from_tombstone(*tombstone);
  }
  return state;
}

Result<std::vector<ProcessState>> TaskManager::list(std::string_view ns) {
  std::vector<std::shared_ptr<Task>> in_ns;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, task] : tasks_) {
      if (key.first == ns) in_ns.push_back(task);
    }
  }
  std::vector<ProcessState> out;
  for (const auto& task : in_ns) {
    auto one = state(ns, task->bundle.id(), "");
    if (one.ok()) {
      out.push_back(std::move(one).value());
    } else if (one.status().code() != Code::kNotFound) {
      // As containerd: a shim that does not answer is left out of the list, not fatal to it.
      log::warn("task {}: state: {}", who(task->bundle), one.status().message());
    }
  }
  return out;
}

Status TaskManager::kill(std::string_view ns, std::string_view id, std::string_view exec_id, uint32_t signal,
                         bool all) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->kill(exec_id, signal, all);
}

Status TaskManager::exec(std::string_view ns, std::string_view id, std::string_view exec_id, const TaskIO& io,
                         const AnyValue& process_spec) {
  if (exec_id.empty()) return invalid_argument("an exec id is required");
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->exec(exec_id, io, process_spec);
}

Status TaskManager::resize_pty(std::string_view ns, std::string_view id, std::string_view exec_id,
                               uint32_t width, uint32_t height) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->resize_pty(exec_id, width, height);
}

Status TaskManager::close_stdin(std::string_view ns, std::string_view id, std::string_view exec_id) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->close_stdin(exec_id);
}

Status TaskManager::pause(std::string_view ns, std::string_view id) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->pause();
}

Status TaskManager::resume(std::string_view ns, std::string_view id) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->resume();
}

Result<std::vector<ProcessInfo>> TaskManager::pids(std::string_view ns, std::string_view id) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->pids();
}

Status TaskManager::update(std::string_view ns, std::string_view id, const AnyValue& resources,
                           const std::map<std::string, std::string>& annotations) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->update(resources, annotations);
}

Result<AnyValue> TaskManager::stats(std::string_view ns, std::string_view id) {
  auto shim = live(ns, id);
  if (!shim.ok()) return shim.status();
  return (*shim)->stats();
}

Result<ProcessExit> TaskManager::wait(std::string_view ns, std::string_view id, std::string_view exec_id,
                                      const CancelCheck& cancelled) {
  auto task = find(ns, id);
  if (!task.ok()) return task.status();
  if (auto tombstone = tombstone_of(**task)) return *tombstone;
  auto exit = (*task)->shim->wait(exec_id, cancelled);
  if (exit.ok()) {
    if (exec_id.empty()) exit->pid = (*task)->pid;
    return exit;
  }
  if (exit.status().code() != Code::kUnavailable) return exit;
  // The shim went away while we waited: its burial says how the task ended.
  std::unique_lock lock(mu_);
  while (!(*task)->tombstone) {
    if (closed_) return unavailable("the task runtime is shutting down");
    buried_.wait_for(lock, kCancelPoll);
    if ((*task)->tombstone) break;
    if (cancelled) {
      lock.unlock();
      Status st = cancelled();
      lock.lock();
      if (!st.ok()) return st;
    }
  }
  return *(*task)->tombstone;
}

void TaskManager::restore_one(const Key& key, const std::shared_ptr<Task>& task) {
  const fs::path bundle = task->bundle.path();
  if (auto address = recorded_address(bundle); address.ok()) {
    auto shim = ShimTask::connect(*address, key.first, key.second, kRestoreDial, on_lost(key));
    if (shim.ok()) {
      task->shim = std::move(shim).value();
      if (auto state = task->shim->state(""); state.ok()) {
        task->pid = state->pid;
        task->io = state->io;
      }
      if (auto fifo = open_shim_log(bundle); fifo.ok()) logs_.add(who(task->bundle), std::move(fifo).value());
      log::debug("task {}: shim pid {} reconnected", who(task->bundle), task->shim->shim_pid());
      return;
    }
    log::info("task {}: its shim does not answer ({}): cleaning up", who(task->bundle),
              shim.status().message());
  }
  bury(key, task);
}

Status TaskManager::restore() {
  BERTH_RETURN_IF_ERROR(files::make_dirs(options_.state));
  BERTH_RETURN_IF_ERROR(files::make_dirs(options_.root));
  std::vector<std::pair<Key, std::shared_ptr<Task>>> found;
  // Work directories whose removal was cut short (Bundle::hide).
  for (const auto& ns : entries(options_.root)) {
    if (!check_path_component("namespace", ns).ok()) continue;
    for (const auto& id : entries(options_.root / ns)) {
      if (id.front() == '.') (void)files::remove_tree(options_.root / ns / id);
    }
  }
  for (const auto& ns : entries(options_.state)) {
    const fs::path ns_dir = options_.state / ns;
    if (!is_dir(ns_dir) || !check_path_component("namespace", ns).ok()) continue;
    for (const auto& id : entries(ns_dir)) {
      const fs::path dir = ns_dir / id;
      if (!is_dir(dir)) continue;  // the shims' sockets live beside the bundles
      if (id.front() == '.') {
        // A bundle whose removal was cut short.
        (void)files::remove_tree(dir);
        continue;
      }
      Bundle bundle(options_.state, options_.root, ns, id);
      auto binary = recorded_shim(dir);
      if (!binary) {
        // Its create never got as far as starting a shim.
        log::info("task {}/{}: bundle with no shim: removing it", ns, id);
        (void)bundle.remove();
        continue;
      }
      auto task = std::make_shared<Task>(std::move(bundle), *binary);
      found.emplace_back(Key(ns, id), task);
    }
  }
  // Dial them in parallel: a restart with many tasks waits for the slowest
  // few, not for their sum.
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < std::min(kRestoreParallel, found.size()); ++w) {
    workers.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < found.size();) {
        {
          std::lock_guard lock(mu_);
          tasks_.emplace(found[i].first, found[i].second);
        }
        restore_one(found[i].first, found[i].second);
      }
    });
  }
  for (auto& w : workers) w.join();
  // Work directories whose bundle is gone.
  for (const auto& ns : entries(options_.root)) {
    if (!is_dir(options_.root / ns)) continue;
    for (const auto& id : entries(options_.root / ns)) {
      std::lock_guard lock(mu_);
      if (tasks_.count(Key(ns, id)) == 0) (void)files::remove_tree(options_.root / ns / id);
    }
  }
  if (!found.empty()) log::info("task runtime: {} task(s) found at start-up", found.size());
  return {};
}

}  // namespace berth::runtime_runc
