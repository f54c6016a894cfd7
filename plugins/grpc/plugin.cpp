// Registrations of the containerd-compatible API services. Each finds the
// objects it serves by their interfaces: the metadata database
// (io.containerd.metadata.v1) for transactions, and the record services
// (io.containerd.service.v1, berth/services.hpp) for namespaces, leases,
// images, containers, content and snapshots; the event exchange (io.containerd.event.v1);
// the task runtime (io.containerd.runtime.v2).
#include "berth/plugin.hpp"

#include "berth/containers.hpp"
#include "berth/events.hpp"
#include "berth/gc.hpp"
#include "berth/images.hpp"
#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/namespaced_snapshots.hpp"
#include "berth/namespaces.hpp"
#include "berth/services.hpp"
#include "berth/tasks.hpp"
#include "berth/transfer.hpp"
#include "containers_service.hpp"
#include "content_service.hpp"
#include "diff_service.hpp"
#include "events_service.hpp"
#include "gc_service.hpp"
#include "health_service.hpp"
#include "images_service.hpp"
#include "introspection_service.hpp"
#include "leases_service.hpp"
#include "namespaces_service.hpp"
#include "snapshots_service.hpp"
#include "tasks_service.hpp"
#include "transfer_service.hpp"
#include "version_service.hpp"

namespace {

berth::InitResult init_version(berth::InitContext&) { return std::make_shared<berth::api::VersionService>(); }

berth::InitResult init_introspection(berth::InitContext& ctx) {
  return berth::api::IntrospectionService::create(ctx);
}

berth::InitResult init_namespaces(berth::InitContext& ctx) {
  auto md = ctx.first_of<berth::Metadata>(berth::kMetadataPluginType);
  if (!md.ok()) return md.status().with_context("namespaces service needs the metadata database");
  auto store = ctx.first_of<berth::NamespaceStore>(berth::kServicePluginType);
  if (!store.ok()) return store.status().with_context("namespaces service needs the namespaces-service");
  return std::make_shared<berth::api::NamespacesService>(std::move(*md), std::move(*store));
}

// What deletes with `sync` wait on; none when the gc plugin is disabled.
std::shared_ptr<berth::GcScheduler> gc_scheduler(berth::InitContext& ctx) {
  auto gc = ctx.first_of<berth::GcScheduler>(berth::kGcPluginType);
  return gc.ok() ? std::move(*gc) : nullptr;
}

berth::InitResult init_leases(berth::InitContext& ctx) {
  auto md = ctx.first_of<berth::Metadata>(berth::kMetadataPluginType);
  if (!md.ok()) return md.status().with_context("leases service needs the metadata database");
  auto store = ctx.first_of<berth::LeaseStore>(berth::kServicePluginType);
  if (!store.ok()) return store.status().with_context("leases service needs the leases-service");
  return std::make_shared<berth::api::LeasesService>(std::move(*md), std::move(*store), gc_scheduler(ctx));
}

berth::InitResult init_images(berth::InitContext& ctx) {
  auto md = ctx.first_of<berth::Metadata>(berth::kMetadataPluginType);
  if (!md.ok()) return md.status().with_context("images service needs the metadata database");
  auto store = ctx.first_of<berth::ImageStore>(berth::kServicePluginType);
  if (!store.ok()) return store.status().with_context("images service needs the images-service");
  return std::make_shared<berth::api::ImagesService>(std::move(*md), std::move(*store), gc_scheduler(ctx));
}

berth::InitResult init_containers(berth::InitContext& ctx) {
  auto md = ctx.first_of<berth::Metadata>(berth::kMetadataPluginType);
  if (!md.ok()) return md.status().with_context("containers service needs the metadata database");
  auto store = ctx.first_of<berth::ContainerStore>(berth::kServicePluginType);
  if (!store.ok()) return store.status().with_context("containers service needs the containers-service");
  return std::make_shared<berth::api::ContainersService>(std::move(*md), std::move(*store));
}

berth::InitResult init_tasks(berth::InitContext& ctx) {
  auto runtime = ctx.first_of<berth::TaskRuntime>(berth::kRuntimePluginType);
  if (!runtime.ok()) return berth::Status::skip("no task runtime (io.containerd.runtime.v2) is loaded");
  auto md = ctx.first_of<berth::Metadata>(berth::kMetadataPluginType);
  if (!md.ok()) return md.status().with_context("tasks service needs the metadata database");
  auto store = ctx.first_of<berth::ContainerStore>(berth::kServicePluginType);
  if (!store.ok()) return store.status().with_context("tasks service needs the containers-service");
  return std::make_shared<berth::api::TasksService>(std::move(*md), std::move(*store), std::move(*runtime));
}

berth::InitResult init_content(berth::InitContext& ctx) {
  auto content = ctx.first_of<berth::NamespacedContent>(berth::kServicePluginType);
  if (!content.ok()) return content.status().with_context("content service needs the content-service");
  return std::make_shared<berth::api::ContentService>(std::move(*content));
}

berth::InitResult init_snapshots(berth::InitContext& ctx) {
  auto snapshots = ctx.first_of<berth::NamespacedSnapshots>(berth::kServicePluginType);
  if (!snapshots.ok())
    return snapshots.status().with_context("snapshots service needs the snapshots-service");
  return std::make_shared<berth::api::SnapshotsService>(std::move(*snapshots));
}

berth::InitResult init_diff(berth::InitContext& ctx) {
  auto differ = ctx.first_of<berth::Differ>(berth::kDifferPluginType);
  if (!differ.ok()) return berth::Status::skip("no differ plugin (io.containerd.differ.v1) is loaded");
  return std::make_shared<berth::api::DiffService>(std::move(*differ));
}

berth::InitResult init_gc(berth::InitContext& ctx) {
  auto gc = gc_scheduler(ctx);
  if (!gc) return berth::Status::skip("no gc scheduler (io.containerd.gc.v1) is loaded");
  return std::make_shared<berth::api::GcService>(std::move(gc));
}

berth::InitResult init_transfer(berth::InitContext& ctx) {
  auto transfer = ctx.first_of<berth::Transfer>(berth::kTransferPluginType);
  if (!transfer.ok()) return berth::Status::skip("no transfer plugin (io.containerd.transfer.v1) is loaded");
  return std::make_shared<berth::api::TransferService>(std::move(*transfer));
}

berth::InitResult init_events(berth::InitContext& ctx) {
  auto exchange = ctx.first_of<berth::EventExchange>(berth::kEventPluginType);
  if (!exchange.ok()) return berth::Status::skip("no event exchange (io.containerd.event.v1) is loaded");
  return std::make_shared<berth::api::EventsService>(std::move(*exchange));
}

berth::InitResult init_health(berth::InitContext&) { return std::make_shared<berth::api::HealthService>(); }

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{.type = "io.containerd.grpc.v1", .id = "version", .init = init_version},
              // "*": introspection lists every plugin, so it comes after all of them.
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "introspection",
                                .requires_types = {"*"},
                                .init = init_introspection},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "namespaces",
                                .requires_types = {"io.containerd.metadata.v1", "io.containerd.service.v1"},
                                .init = init_namespaces},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "content",
                                .requires_types = {"io.containerd.service.v1"},
                                .init = init_content},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "leases",
                                .requires_types = {"io.containerd.metadata.v1", "io.containerd.service.v1",
                                                   "io.containerd.gc.v1"},
                                .init = init_leases},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "images",
                                .requires_types = {"io.containerd.metadata.v1", "io.containerd.service.v1",
                                                   "io.containerd.gc.v1"},
                                .init = init_images},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "containers",
                                .requires_types = {"io.containerd.metadata.v1", "io.containerd.service.v1"},
                                .init = init_containers},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "tasks",
                                .requires_types = {"io.containerd.runtime.v2", "io.containerd.metadata.v1",
                                                   "io.containerd.service.v1"},
                                .init = init_tasks},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "snapshots",
                                .requires_types = {"io.containerd.service.v1"},
                                .init = init_snapshots},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "diff",
                                .requires_types = {"io.containerd.differ.v1"},
                                .init = init_diff},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "transfer",
                                .requires_types = {"io.containerd.transfer.v1"},
                                .init = init_transfer},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "gc",
                                .requires_types = {"io.containerd.gc.v1"},
                                .init = init_gc},
              berth::PluginSpec{.type = "io.containerd.grpc.v1",
                                .id = "events",
                                .requires_types = {"io.containerd.event.v1"},
                                .init = init_events},
              berth::PluginSpec{.type = "io.containerd.grpc.v1", .id = "healthcheck", .init = init_health})
