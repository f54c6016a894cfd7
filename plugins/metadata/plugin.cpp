// The metadata plugins: the RocksDB database, and one service per kind of
// record it keeps, each registered on its own as containerd registers them
// (README.md in this directory says how to add a kind).
//
//   io.containerd.metadata.v1.rocksdb                 RocksMetadata      berth::Metadata
//   io.containerd.service.v1.namespaces-service       KvNamespaceStore   berth::NamespaceStore
//   io.containerd.service.v1.leases-service           KvLeaseStore       berth::LeaseStore
//   io.containerd.service.v1.content-service          MetadataContent    berth::NamespacedContent
//   io.containerd.service.v1.snapshots-service        MetadataSnapshots  berth::NamespacedSnapshots
//   io.containerd.service.v1.images-service           KvImageStore       berth::ImageStore
//   io.containerd.service.v1.containers-service       KvContainerStore   berth::ContainerStore
//   io.containerd.service.v1.gc-service               MetadataCollector  berth::GarbageCollector
//   (every service but leases announces its changes through io.containerd.event.v1)
//
// Every service requires the metadata type; content and snapshots also the
// backends they wrap, so those are initialised first.
#include "berth/plugin.hpp"

#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/content_store.hpp"
#include "berth/events.hpp"
#include "berth/gc.hpp"
#include "berth/metadata.hpp"
#include "berth/services.hpp"
#include "berth/snapshotter.hpp"
#include "container_store.hpp"
#include "gc_collector.hpp"
#include "image_store.hpp"
#include "lease_store.hpp"
#include "namespace_store.hpp"
#include "namespaced_content.hpp"
#include "namespaced_snapshots.hpp"
#include "rocks_metadata.hpp"

namespace {

constexpr std::string_view kSyncWrites = "sync_writes";

constexpr const char* kDefaultConfig =
    "# fsync every committed transaction; turn off only for tests and benchmarks,\n"
    "# as a machine crash may then lose recent commits.\n"
    "sync_writes = true\n";

berth::InitResult init_database(berth::InitContext& ctx) {
  auto config = berth::parse_plugin_config(ctx);
  if (!config.ok()) return config.status();
  auto sync_writes = berth::config_value<bool>(*config, kSyncWrites, true);
  if (!sync_writes.ok())
    return sync_writes.status().with_context("config for " + ctx.type() + "." + ctx.id());

  const std::filesystem::path path = ctx.root() / "meta.db";
  auto md = berth::metadata::RocksMetadata::open(path, {.sync_writes = *sync_writes});
  if (!md.ok()) return md.status();
  ctx.set_export("path", path.string());
  return std::shared_ptr<berth::Instance>(std::move(md).value());
}

// The database every service keeps its records in.
berth::Result<std::shared_ptr<berth::Metadata>> database(berth::InitContext& ctx) {
  auto md = ctx.first_of<berth::Metadata>(berth::kMetadataPluginType);
  if (!md.ok()) return md.status().with_context(ctx.id() + " keeps its records in the metadata database");
  return md;
}

// Without an event exchange (plugins/events disabled) records are still
// kept; nothing is announced.
std::shared_ptr<berth::EventPublisher> publisher(berth::InitContext& ctx) {
  auto events = ctx.first_of<berth::EventPublisher>(berth::kEventPluginType);
  return events.ok() ? std::move(*events) : nullptr;
}

// Namespace, lease, image and container records take the caller's transaction, so these stores
// hold no state; init only checks there is a database to hold the records.
berth::InitResult init_namespaces(berth::InitContext& ctx) {
  if (auto md = database(ctx); !md.ok()) return md.status();
  return std::make_shared<berth::metadata::KvNamespaceStore>(publisher(ctx));
}

berth::InitResult init_leases(berth::InitContext& ctx) {
  if (auto md = database(ctx); !md.ok()) return md.status();
  return std::make_shared<berth::metadata::KvLeaseStore>();
}

berth::InitResult init_images(berth::InitContext& ctx) {
  if (auto md = database(ctx); !md.ok()) return md.status();
  return std::make_shared<berth::metadata::KvImageStore>(publisher(ctx));
}

berth::InitResult init_containers(berth::InitContext& ctx) {
  if (auto md = database(ctx); !md.ok()) return md.status();
  return std::make_shared<berth::metadata::KvContainerStore>(publisher(ctx));
}

berth::InitResult init_content(berth::InitContext& ctx) {
  auto md = database(ctx);
  if (!md.ok()) return md.status();
  auto backend = ctx.first_of<berth::ContentStore>(berth::kContentPluginType);
  if (!backend.ok()) return backend.status().with_context(ctx.id() + " needs a content store");
  return std::make_shared<berth::metadata::MetadataContent>(std::move(*md), std::move(*backend),
                                                            publisher(ctx));
}

berth::InitResult init_snapshots(berth::InitContext& ctx) {
  auto md = database(ctx);
  if (!md.ok()) return md.status();
  // Every snapshotter plugin that came up, by its id ("overlayfs", "native");
  // none is no error: the service then finds none by name.
  berth::metadata::Snapshotters backends;
  for (auto& sn : ctx.all_of<berth::Snapshotter>(berth::kSnapshotterPluginType))
    backends.emplace(std::move(sn.id), std::move(sn.instance));
  return std::make_shared<berth::metadata::MetadataSnapshots>(std::move(*md), std::move(backends),
                                                              publisher(ctx));
}

// The collector needs the database itself (its commit observer and blob
// lock) and the backends, not the services: it works on their records.
berth::InitResult init_gc(berth::InitContext& ctx) {
  auto md = database(ctx);
  if (!md.ok()) return md.status();
  auto rocks = std::dynamic_pointer_cast<berth::metadata::RocksMetadata>(*md);
  if (!rocks)
    return berth::failed_precondition("the garbage collector works on the rocksdb metadata database only");
  auto content = ctx.first_of<berth::ContentStore>(berth::kContentPluginType);
  if (!content.ok()) return content.status().with_context(ctx.id() + " needs a content store");
  berth::metadata::Snapshotters backends;
  for (auto& sn : ctx.all_of<berth::Snapshotter>(berth::kSnapshotterPluginType))
    backends.emplace(std::move(sn.id), std::move(sn.instance));
  return std::make_shared<berth::metadata::MetadataCollector>(std::move(rocks), std::move(*content),
                                                              std::move(backends), publisher(ctx));
}

}  // namespace

BERTH_PLUGINS(
    berth::PluginSpec{.type = std::string(berth::kMetadataPluginType),
                      .id = "rocksdb",
                      .default_config = kDefaultConfig,
                      .init = init_database},
    berth::PluginSpec{
        .type = std::string(berth::kServicePluginType),
        .id = std::string(berth::kNamespacesServiceId),
        .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kEventPluginType)},
        .init = init_namespaces},
    berth::PluginSpec{.type = std::string(berth::kServicePluginType),
                      .id = std::string(berth::kLeasesServiceId),
                      .requires_types = {std::string(berth::kMetadataPluginType)},
                      .init = init_leases},
    berth::PluginSpec{
        .type = std::string(berth::kServicePluginType),
        .id = std::string(berth::kImagesServiceId),
        .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kEventPluginType)},
        .init = init_images},
    berth::PluginSpec{
        .type = std::string(berth::kServicePluginType),
        .id = std::string(berth::kContainersServiceId),
        .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kEventPluginType)},
        .init = init_containers},
    berth::PluginSpec{
        .type = std::string(berth::kServicePluginType),
        .id = std::string(berth::kContentServiceId),
        .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kContentPluginType),
                           std::string(berth::kEventPluginType)},
        .init = init_content},
    berth::PluginSpec{
        .type = std::string(berth::kServicePluginType),
        .id = std::string(berth::kSnapshotsServiceId),
        .requires_types = {std::string(berth::kMetadataPluginType),
                           std::string(berth::kSnapshotterPluginType), std::string(berth::kEventPluginType)},
        .init = init_snapshots},
    berth::PluginSpec{
        .type = std::string(berth::kServicePluginType),
        .id = std::string(berth::kGcServiceId),
        .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kContentPluginType),
                           std::string(berth::kSnapshotterPluginType), std::string(berth::kEventPluginType)},
        .init = init_gc})
