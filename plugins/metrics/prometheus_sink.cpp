#include "prometheus_sink.hpp"

#include <algorithm>
#include <exception>

#include "berth/log.hpp"
#include "listen_address.hpp"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/text_serializer.h"

namespace berth::metrics_plugin {
namespace {

// The handles keep the registry that owns their metric alive, so a handle
// dropped after the sink is still safe to destroy (and to update).
class CounterHandle final : public Counter {
 public:
  CounterHandle(std::shared_ptr<prometheus::Registry> owner, prometheus::Counter& counter)
      : owner_(std::move(owner)), counter_(counter) {}
  void add(double amount) override {
    if (amount > 0) counter_.Increment(amount);
  }

 private:
  std::shared_ptr<prometheus::Registry> owner_;
  prometheus::Counter& counter_;
};

class HistogramHandle final : public Histogram {
 public:
  HistogramHandle(std::shared_ptr<prometheus::Registry> owner, prometheus::Histogram& histogram)
      : owner_(std::move(owner)), histogram_(histogram) {}
  void observe(double value) override { histogram_.Observe(value); }

 private:
  std::shared_ptr<prometheus::Registry> owner_;
  prometheus::Histogram& histogram_;
};

prometheus::Labels to_prometheus(const Labels& labels) { return {labels.begin(), labels.end()}; }

}  // namespace

std::vector<metrics::Family> PluginStatusSource::collect() {
  metrics::Family f{.name = "berth_plugin_status",
                    .help =
                        "The daemon's plugins: 1 for each, labelled with its type, id and state "
                        "(ok, skip, error), as `ctr plugins ls` shows them",
                    .kind = metrics::Kind::kGauge,
                    .samples = {}};
  for (const auto& p : plugins_->list()) {
    f.samples.push_back(
        {.labels = {{"type", p.type}, {"id", p.id}, {"state", std::string(plugin_state_name(p.state))}},
         .value = 1});
  }
  return {std::move(f)};
}

PrometheusSink::PrometheusSink(std::shared_ptr<const PluginSet> plugins) {
  if (plugins) plugin_status_ = std::make_shared<PluginStatusSource>(std::move(plugins));
  set_sources({});
}

PrometheusSink::~PrometheusSink() { (void)close(); }

Status PrometheusSink::serve(std::string_view address) {
  auto port = civetweb_listening_port(address);
  if (!port.ok()) return port.status();
  std::lock_guard lock(mu_);
  if (exposer_) return failed_precondition("the metrics server is already serving");
  try {
    // One thread: scrapes are rare and each waits for every source anyway.
    exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", *port, "num_threads", "1"});
  } catch (const std::exception& e) {
    return unavailable("cannot serve metrics on " + std::string(address) + ": " + e.what());
  }
  exposer_->RegisterCollectable(registry_, std::string(kMetricsPath));
  exposer_->RegisterCollectable(sources_, std::string(kMetricsPath));
  log::info("metrics served at http://{}{}", address, kMetricsPath);
  return {};
}

void PrometheusSink::set_sources(std::vector<NamedSource> sources) {
  // The plugin set outlives every plugin: its figures stay when the host
  // takes the plugins' sources away at shutdown.
  if (plugin_status_) sources.insert(sources.begin(), {"io.berth.metrics.v1.prometheus", plugin_status_});
  sources_->set(std::move(sources));
}

Result<std::shared_ptr<Counter>> PrometheusSink::counter(std::string_view name, std::string_view help,
                                                         const Labels& labels) {
  std::lock_guard lock(mu_);
  try {
    auto& family =
        prometheus::BuildCounter().Name(std::string(name)).Help(std::string(help)).Register(*registry_);
    return std::shared_ptr<Counter>(
        std::make_shared<CounterHandle>(registry_, family.Add(to_prometheus(labels))));
  } catch (const std::exception& e) {
    return invalid_argument("counter " + std::string(name) + ": " + e.what());
  }
}

Result<std::shared_ptr<Histogram>> PrometheusSink::histogram(std::string_view name, std::string_view help,
                                                             const Labels& labels,
                                                             const std::vector<double>& buckets) {
  if (!std::is_sorted(buckets.begin(), buckets.end()))
    return invalid_argument("histogram " + std::string(name) + ": buckets must ascend");
  std::lock_guard lock(mu_);
  try {
    auto& family =
        prometheus::BuildHistogram().Name(std::string(name)).Help(std::string(help)).Register(*registry_);
    return std::shared_ptr<Histogram>(
        std::make_shared<HistogramHandle>(registry_, family.Add(to_prometheus(labels), buckets)));
  } catch (const std::exception& e) {
    return invalid_argument("histogram " + std::string(name) + ": " + e.what());
  }
}

Status PrometheusSink::close() {
  std::unique_ptr<prometheus::Exposer> exposer;
  {
    std::lock_guard lock(mu_);
    exposer = std::move(exposer_);
  }
  // Destroying the exposer waits for a scrape in progress.
  exposer.reset();
  set_sources({});
  return {};
}

int PrometheusSink::port() const {
  std::lock_guard lock(mu_);
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string PrometheusSink::exposition() const {
  auto families = registry_->Collect();
  auto more = sources_->Collect();
  families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace berth::metrics_plugin
