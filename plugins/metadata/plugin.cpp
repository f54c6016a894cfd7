// The io.containerd.metadata.v1.rocksdb plugin: opens <root>/meta.db and
// offers it as berth::Metadata, as berth::NamespacedContent over the content
// store plugin (io.containerd.content.v1) and as berth::NamespacedSnapshots
// over every snapshotter plugin (io.containerd.snapshotter.v1); it requires
// both types, so they are initialised first.
#include "berth/plugin.hpp"

#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/content_store.hpp"
#include "berth/log.hpp"
#include "berth/metadata.hpp"
#include "berth/snapshotter.hpp"
#include "rocks_metadata.hpp"

namespace {

constexpr std::string_view kSyncWrites = "sync_writes";

constexpr const char* kDefaultConfig =
    "# fsync every committed transaction; turn off only for tests and benchmarks,\n"
    "# as a machine crash may then lose recent commits.\n"
    "sync_writes = true\n";

berth::InitResult init(berth::InitContext& ctx) {
  auto config = berth::parse_plugin_config(ctx);
  if (!config.ok()) return config.status();
  auto sync_writes = berth::config_value<bool>(*config, kSyncWrites, true);
  if (!sync_writes.ok())
    return sync_writes.status().with_context("config for " + ctx.type() + "." + ctx.id());

  const std::filesystem::path path = ctx.root() / "meta.db";
  auto md = berth::metadata::RocksMetadata::open(path, {.sync_writes = *sync_writes});
  if (!md.ok()) return md.status();
  ctx.set_export("path", path.string());
  // Without a content plugin the metadata store still works; its
  // NamespacedContent calls then fail with FailedPrecondition.
  if (auto content = ctx.first_of<berth::ContentStore>(berth::kContentPluginType); content.ok()) {
    (*md)->set_content_backend(std::move(*content));
  } else {
    berth::log::warn("{}.{}: no content store plugin is loaded; content calls will fail", ctx.type(),
                     ctx.id());
  }
  // Every snapshotter plugin that came up, by its id ("overlayfs", "native").
  const auto plugins = ctx.plugins();
  for (const auto& info : plugins ? plugins->list() : std::vector<berth::PluginInfo>{}) {
    if (info.type != berth::kSnapshotterPluginType || info.state != berth::PluginState::kOk) continue;
    auto sn = ctx.get_as<berth::Snapshotter>(info.type, info.id);
    if (!sn.ok()) {
      berth::log::warn("{}.{}: snapshotter {}: {}", ctx.type(), ctx.id(), info.id, sn.status().to_string());
      continue;
    }
    (*md)->add_snapshotter(info.id, std::move(*sn));
  }
  return std::shared_ptr<berth::Instance>(std::move(md).value());
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = std::string(berth::kMetadataPluginType),
    .id = "rocksdb",
    .requires_types = {std::string(berth::kContentPluginType), std::string(berth::kSnapshotterPluginType)},
    .default_config = kDefaultConfig,
    .init = init});
