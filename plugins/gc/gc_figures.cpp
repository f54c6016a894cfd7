// The scheduler's figures for the metrics endpoint: how often the collector
// ran, how long it took and held writers back, and what it removed, so an
// operator sees a collection that grows slow or a disk that GC never frees.
#include "scheduler.hpp"

namespace berth::gc_plugin {

std::vector<metrics::Family> Scheduler::collect() {
  Figures f;
  {
    std::lock_guard lock(mu_);
    f = figures_;
  }
  auto one = [](std::string name, std::string help, metrics::Kind kind, double value) {
    return metrics::Family{.name = std::move(name),
                           .help = std::move(help),
                           .kind = kind,
                           .samples = {{.labels = {}, .value = value}}};
  };
  std::vector<metrics::Family> out{
      one("berth_gc_runs_total", "Garbage collections run", metrics::Kind::kCounter,
          static_cast<double>(f.runs)),
      one("berth_gc_failures_total", "Garbage collections that failed", metrics::Kind::kCounter,
          static_cast<double>(f.failures)),
      one("berth_gc_seconds_total", "Time spent collecting garbage", metrics::Kind::kCounter, f.seconds),
      one("berth_gc_pause_seconds_total", "Time collections held metadata writers back",
          metrics::Kind::kCounter, f.pause_seconds),
      one("berth_gc_last_seconds", "How long the last collection took", metrics::Kind::kGauge,
          f.last_seconds),
      one("berth_gc_last_pause_seconds", "How long the last collection held metadata writers back",
          metrics::Kind::kGauge, f.last_pause_seconds),
  };
  metrics::Family removed{.name = "berth_gc_removed_total",
                          .help = "Objects garbage collections removed, by kind",
                          .kind = metrics::Kind::kCounter,
                          .samples = {}};
  for (const auto& [kind, n] : f.removed)
    removed.samples.push_back({.labels = {{"kind", kind}}, .value = static_cast<double>(n)});
  if (!removed.samples.empty()) out.push_back(std::move(removed));
  return out;
}

}  // namespace berth::gc_plugin
