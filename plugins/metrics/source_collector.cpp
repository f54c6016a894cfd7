#include "source_collector.hpp"

#include <algorithm>
#include <exception>
#include <mutex>
#include <set>

#include "berth/log.hpp"
#include "prometheus/check_names.h"

namespace berth::metrics_plugin {
namespace {

prometheus::ClientMetric to_client_metric(const metrics::Sample& sample, metrics::Kind kind) {
  prometheus::ClientMetric m;
  for (const auto& [name, value] : sample.labels) m.label.push_back({name, value});
  if (kind == metrics::Kind::kCounter) {
    m.counter.value = sample.value;
  } else {
    m.gauge.value = sample.value;
  }
  return m;
}

bool labels_valid(const metrics::Sample& sample) {
  for (const auto& [name, value] : sample.labels) {
    // "__" names are Prometheus's own.
    if (!prometheus::CheckLabelName(name) || name.starts_with("__")) return false;
  }
  return true;
}

}  // namespace

void FamilyMerger::add(std::string_view plugin, std::vector<metrics::Family> families) {
  for (auto& f : families) {
    if (!prometheus::CheckMetricName(f.name)) {
      log::warn("metrics: plugin {} names a family \"{}\", which Prometheus refuses; left out", plugin,
                f.name);
      continue;
    }
    auto [at, added] = by_name_.try_emplace(f.name, out_.size());
    if (added) {
      prometheus::MetricFamily pf;
      pf.name = f.name;
      pf.help = f.help;
      pf.type =
          f.kind == metrics::Kind::kCounter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
      out_.push_back(std::move(pf));
      seen_.emplace_back();
    }
    prometheus::MetricFamily& family = out_[at->second];
    std::set<Labels>& seen = seen_[at->second];
    const metrics::Kind kind =
        family.type == prometheus::MetricType::Counter ? metrics::Kind::kCounter : metrics::Kind::kGauge;
    for (const auto& s : f.samples) {
      if (!labels_valid(s)) {
        log::warn("metrics: plugin {} gives {} a label name Prometheus refuses; sample left out", plugin,
                  f.name);
        continue;
      }
      if (seen.insert(s.labels).second) family.metric.push_back(to_client_metric(s, kind));
    }
  }
}

std::vector<prometheus::MetricFamily> FamilyMerger::take() {
  std::vector<prometheus::MetricFamily> out;
  out.swap(out_);
  by_name_.clear();
  seen_.clear();
  // A family with no samples is noise in the exposition.
  std::erase_if(out, [](const prometheus::MetricFamily& f) { return f.metric.empty(); });
  return out;
}

void SourceCollector::set(std::vector<NamedSource> sources) {
  std::unique_lock lock(mu_);
  sources_ = std::move(sources);
}

std::vector<prometheus::MetricFamily> SourceCollector::Collect() const {
  std::shared_lock lock(mu_);
  FamilyMerger merger;
  for (const auto& [plugin, source] : sources_) {
    // A plugin's bug must not take the daemon down through the metrics
    // server's thread: its figures are left out and the rest is served.
    try {
      merger.add(plugin, source->collect());
    } catch (const std::exception& e) {
      log::error("metrics: plugin {} failed to collect: {}", plugin, e.what());
    } catch (...) {
      log::error("metrics: plugin {} failed to collect", plugin);
    }
  }
  return merger.take();
}

}  // namespace berth::metrics_plugin
