// Metrics: the figures berthd shows in Prometheus's text format at
// http://<[metrics] address>/v1/metrics, as containerd does.
//
// Two ways in, neither of which puts Prometheus's library in a plugin's ABI:
//  - A plugin with figures of its own (bytes stored, tasks running) offers
//    MetricsSource beside its other interfaces. After every plugin has
//    initialised, the host hands each source to the metrics plugin, which
//    calls collect() at every scrape. A plugin needs no dependency on the
//    metrics plugin, and with none loaded nothing is ever collected.
//  - Code that counts events as they happen (the host's gRPC calls) asks
//    MetricsSink for a Counter or a Histogram and updates it; the sink keeps
//    the totals and shows them at every scrape.
//
// Interface type "io.berth.metrics.v1"; plugins/metrics offers the sink.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

inline constexpr std::string_view kMetricsPluginType = "io.berth.metrics.v1";

namespace metrics {

enum class Kind {
  kCounter,  // only ever rises (totals): Prometheus computes rates from it
  kGauge,    // a level that goes up and down (bytes in use, tasks running)
};

struct Sample {
  Labels labels;  // label name -> value; names as Prometheus allows them
  double value = 0;
};

// One metric family: a name ("container_cpu_total_nanoseconds", Prometheus's
// rules: [a-zA-Z_:][a-zA-Z0-9_:]*), its help text, its kind and one sample per
// label set.
struct Family {
  std::string name;
  std::string help;
  Kind kind = Kind::kGauge;
  std::vector<Sample> samples;
};

}  // namespace metrics

// Offered by a plugin that has figures to show.
class MetricsSource {
 public:
  virtual ~MetricsSource();
  // The plugin's figures now. Called at every scrape, on the metrics
  // server's thread, concurrently with everything else the plugin does:
  // thread-safe, and quick (a scrape waits for every source). Never called
  // once the host has begun shutting down.
  virtual std::vector<metrics::Family> collect() = 0;
};

// A running total, created by MetricsSink::counter. Thread-safe.
class Counter {
 public:
  virtual ~Counter();
  virtual void add(double amount) = 0;  // amount >= 0
};

// A distribution of observations (latencies) in fixed buckets, created by
// MetricsSink::histogram. Thread-safe.
class Histogram {
 public:
  virtual ~Histogram();
  virtual void observe(double value) = 0;
};

// A source and the plugin it came from ("io.containerd.runtime.v2.task").
struct NamedSource {
  std::string plugin;
  std::shared_ptr<MetricsSource> source;
};

// Offered by the metrics plugin; the host drives it.
class MetricsSink {
 public:
  virtual ~MetricsSink();

  // Serves /v1/metrics over HTTP on `address` ("127.0.0.1:1338",
  // "[::1]:1338", ":1338" for every interface). InvalidArgument for an
  // address that is not IP:PORT, Unavailable when it cannot be bound.
  // Called once, by the host, when [metrics] address is set.
  virtual Status serve(std::string_view address) = 0;

  // The sources collected at every scrape, replacing any given before;
  // the host passes an empty list before plugins close, so that no scrape
  // reaches a closed plugin.
  virtual void set_sources(std::vector<NamedSource> sources) = 0;

  // The counter `name` with `labels`; the same name and labels give the same
  // counter. Every counter of one name must have the same label names and
  // the same help. InvalidArgument for a name or label Prometheus refuses, or
  // a name already used for another kind of metric.
  virtual Result<std::shared_ptr<Counter>> counter(std::string_view name, std::string_view help,
                                                   const Labels& labels) = 0;
  // As counter(), for a histogram with `buckets` as upper bounds (ascending;
  // +Inf is implied).
  virtual Result<std::shared_ptr<Histogram>> histogram(std::string_view name, std::string_view help,
                                                       const Labels& labels,
                                                       const std::vector<double>& buckets) = 0;
};

}  // namespace berth
