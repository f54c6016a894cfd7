// io.containerd.gc.v1.scheduler: schedules the metadata store's garbage
// collector (io.containerd.service.v1.gc-service) with containerd's keys and
// defaults (scheduler_config.hpp), and is what deletes with `sync` and
// `berth gc` wait on (berth::GcScheduler).
#include "berth/plugin.hpp"

#include <memory>

#include "berth/config.hpp"
#include "berth/gc.hpp"
#include "berth/services.hpp"
#include "scheduler.hpp"
#include "scheduler_config.hpp"

namespace {

berth::InitResult init_scheduler(berth::InitContext& ctx) {
  auto table = berth::parse_plugin_config(ctx);
  if (!table.ok()) return table.status();
  auto config = berth::gc_plugin::parse_scheduler_config(*table);
  if (!config.ok()) return config.status().with_context("config for " + ctx.type() + "." + ctx.id());
  auto collector = ctx.first_of<berth::GarbageCollector>(berth::kServicePluginType);
  if (!collector.ok())
    return collector.status().with_context(ctx.id() + " schedules the metadata garbage collector");
  ctx.set_export("PauseThreshold", std::to_string(config->pause_threshold));
  ctx.set_export("DeletionThreshold", std::to_string(config->deletion_threshold));
  ctx.set_export("MutationThreshold", std::to_string(config->mutation_threshold));
  return std::make_shared<berth::gc_plugin::Scheduler>(std::move(*collector), *config);
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = std::string(berth::kGcPluginType),
    .id = "scheduler",
    .requires_types = {"io.containerd.metadata.v1", std::string(berth::kServicePluginType)},
    .default_config = berth::gc_plugin::kDefaultConfig,
    .init = init_scheduler});
