// io.berth.metrics.v1.prometheus: berth::MetricsSink over prometheus-cpp.
// Counters and histograms live in a prometheus::Registry; plugins' sources
// are collected by a SourceCollector; both are served by one Exposer at
// /v1/metrics. The plugin set's state is a source of its own
// (berth_plugin_status).
#pragma once

#include <memory>
#include <mutex>

#include "berth/instance.hpp"
#include "berth/metrics.hpp"
#include "berth/plugin_info.hpp"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "source_collector.hpp"

namespace berth::metrics_plugin {

inline constexpr std::string_view kMetricsPath = "/v1/metrics";

// berth_plugin_status{type,id,state} 1 for every plugin the daemon knows.
class PluginStatusSource final : public MetricsSource {
 public:
  explicit PluginStatusSource(std::shared_ptr<const PluginSet> plugins) : plugins_(std::move(plugins)) {}
  std::vector<metrics::Family> collect() override;

 private:
  std::shared_ptr<const PluginSet> plugins_;
};

class PrometheusSink final : public Instance, public MetricsSink {
 public:
  // `plugins` may be null (no plugin status figures).
  explicit PrometheusSink(std::shared_ptr<const PluginSet> plugins);
  ~PrometheusSink() override;

  Status serve(std::string_view address) override;
  void set_sources(std::vector<NamedSource> sources) override;
  Result<std::shared_ptr<Counter>> counter(std::string_view name, std::string_view help,
                                           const Labels& labels) override;
  Result<std::shared_ptr<Histogram>> histogram(std::string_view name, std::string_view help,
                                               const Labels& labels,
                                               const std::vector<double>& buckets) override;
  // Stops serving.
  Status close() override;

  // The port the server listens on (0 before serve()).
  [[nodiscard]] int port() const;
  // What a scrape would show now, in the text format.
  [[nodiscard]] std::string exposition() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::shared_ptr<SourceCollector> sources_ = std::make_shared<SourceCollector>();
  std::shared_ptr<MetricsSource> plugin_status_;
  mutable std::mutex mu_;  // guards exposer_ and the registry's family lookups
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace berth::metrics_plugin
