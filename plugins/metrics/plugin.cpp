// io.berth.metrics.v1.prometheus: the Prometheus endpoint (prometheus_sink.hpp).
// It needs nothing. The host finds it after every plugin has initialised,
// hands it the plugins' MetricsSources, feeds it the gRPC calls' figures and,
// when [metrics] address is set, has it serve there.
#include "berth/plugin.hpp"

#include <memory>

#include "berth/metrics.hpp"
#include "prometheus_sink.hpp"

namespace {

berth::InitResult init_sink(berth::InitContext& ctx) {
  return std::make_shared<berth::metrics_plugin::PrometheusSink>(ctx.plugins());
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = std::string(berth::kMetricsPluginType), .id = "prometheus", .init = init_sink})
