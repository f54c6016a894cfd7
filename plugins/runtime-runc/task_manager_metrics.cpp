// TaskManager's figures for the metrics endpoint. A task's figures come
// through stats(), the call Tasks.Metrics makes, so `ctr tasks metrics` and
// a scrape read the same numbers the same way.
#include <map>

#include "berth/log.hpp"
#include "task_manager.hpp"
#include "task_metrics.hpp"

namespace berth::runtime_runc {

std::vector<metrics::Family> TaskManager::collect() {
  std::vector<Key> live_tasks;
  std::map<std::string, std::size_t> shims;  // binary name -> live shims
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, task] : tasks_) {
      if (task->tombstone || !task->shim) continue;
      live_tasks.push_back(key);
      ++shims[task->binary.filename().string()];
    }
  }
  metrics::Family running{.name = "berth_shims_running",
                          .help = "Task shims the daemon is connected to, by shim binary",
                          .kind = metrics::Kind::kGauge,
                          .samples = {}};
  for (const auto& [binary, count] : shims)
    running.samples.push_back({.labels = {{"shim", binary}}, .value = static_cast<double>(count)});
  std::vector<metrics::Family> out{std::move(running)};
  for (const auto& [ns, id] : live_tasks) {
    auto stats = this->stats(ns, id);
    // Gone since the list, or its cgroup unreadable: no figures this time.
    if (!stats.ok()) {
      log::debug("metrics: task {}/{}: {}", ns, id, stats.status().message());
      continue;
    }
    if (Status s = append_task_metrics(*stats, ns, id, out); !s.ok())
      log::warn("metrics: task {}/{}: {}", ns, id, s.message());
  }
  return out;
}

}  // namespace berth::runtime_runc
