// Registers io.berth.example.v1.hello: BERTH_PLUGINS defines the library's one
// exported symbol, berth_plugin_entry, which hands berthd this plugin's descriptor.
#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/log.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaces.hpp"
#include "berth/plugin.hpp"
#include "berth/services.hpp"
#include "greeter.hpp"
#include "hello_config.hpp"

namespace {

berth::InitResult init(berth::InitContext& ctx) {
  const std::string name = ctx.type() + "." + ctx.id();

  // The effective config: our defaults overlaid with the operator's section.
  // Keys the plugin does not declare in its defaults are warned about by the
  // host, with file:line:column, so the plugin need not check for them.
  auto table = berth::parse_plugin_config(ctx);
  if (!table.ok()) return table.status();
  auto config = hello::parse_config(*table);
  if (!config.ok()) return config.status().with_context("config for " + name);

  // requires_types makes the host initialise every metadata and service plugin
  // before us, so the lookups see them; they can still fail when a plugin
  // failed or is disabled. Each is found by the interface it offers: the
  // database for transactions, and the namespaces-service for the records.
  auto metadata = ctx.first_of<berth::Metadata>(berth::kMetadataPluginType);
  if (!metadata.ok()) return metadata.status().with_context(name + " needs a metadata store");
  auto namespaces = ctx.first_of<berth::NamespaceStore>(berth::kServicePluginType);
  if (!namespaces.ok()) return namespaces.status().with_context(name + " needs the namespaces service");

  auto greeter =
      hello::Greeter::create(name, *config, std::move(metadata).value(), std::move(namespaces).value());
  if (!greeter.ok()) return greeter.status();

  ctx.set_export("greeting", (*greeter)->message());
  ctx.set_export("namespaces", std::to_string((*greeter)->namespaces_at_init()));
  berth::log::info("{}: {} ({} namespace(s) in the metadata store)", name, (*greeter)->message(),
                   (*greeter)->namespaces_at_init());
  return std::move(greeter).value();
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = "io.berth.example.v1",
    .id = "hello",
    .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kServicePluginType)},
    .default_config = hello::kDefaultConfig,
    .init = init})
