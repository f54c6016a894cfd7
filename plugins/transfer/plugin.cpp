// The io.containerd.transfer.v1.local plugin: pulls images from registries
// into the metadata plugin's namespaces and pushes them back, offered as
// berth::Transfer.
//
// Config ([plugins."io.containerd.transfer.v1.local"]):
//   config_path = ""                  containerd's hosts directory (<dir>/<host>/hosts.toml)
//   max_concurrent_downloads = 3      layers downloading at once per pull (1 to 64)
//   max_concurrent_uploads = 3        blobs uploading at once per push (1 to 64)
//   snapshotter = "overlayfs"         where pulls unpack unless told otherwise
#include "berth/plugin.hpp"

#include <filesystem>
#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/diff.hpp"
#include "berth/images.hpp"
#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/namespaced_snapshots.hpp"
#include "berth/services.hpp"
#include "berth/transfer.hpp"
#include "transfer_plugin.hpp"

namespace {

// A limit of blobs moving at once: between 1 and kMaxConcurrentBlobs.
berth::Result<int> blob_limit(const toml::table& config, const std::string& key) {
  auto n = berth::config_value<int64_t>(config, key, 3);
  if (!n.ok()) return n.status();
  if (*n < 1 || *n > berth::transfer::kMaxConcurrentBlobs)
    return berth::invalid_argument("config key '" + key + "' is " + std::to_string(*n) +
                                   "; it must be between 1 and " +
                                   std::to_string(berth::transfer::kMaxConcurrentBlobs));
  return static_cast<int>(*n);
}

berth::Status parse_config(const berth::InitContext& ctx, berth::transfer::TransferDeps& deps) {
  auto config = berth::parse_plugin_config(ctx);
  if (!config.ok()) return config.status();
  auto path = berth::config_value<std::string>(*config, "config_path", "");
  if (!path.ok()) return path.status();
  deps.hosts_dir = *path;
  auto downloads = blob_limit(*config, "max_concurrent_downloads");
  if (!downloads.ok()) return downloads.status();
  deps.max_downloads = *downloads;
  auto uploads = blob_limit(*config, "max_concurrent_uploads");
  if (!uploads.ok()) return uploads.status();
  deps.max_uploads = *uploads;
  auto snapshotter = berth::config_value<std::string>(*config, "snapshotter", "overlayfs");
  if (!snapshotter.ok()) return snapshotter.status();
  if (snapshotter->empty()) return berth::invalid_argument("config key 'snapshotter' is empty");
  deps.default_snapshotter = *snapshotter;
  return {};
}

berth::InitResult init(berth::InitContext& ctx) {
  berth::transfer::TransferDeps deps;
  BERTH_RETURN_IF_ERROR(parse_config(ctx, deps));
  auto md = ctx.first_of<berth::Metadata>(berth::kMetadataPluginType);
  if (!md.ok()) return md.status().with_context("transfer needs the metadata database");
  auto content = ctx.first_of<berth::NamespacedContent>(berth::kServicePluginType);
  if (!content.ok()) return content.status().with_context("transfer needs the content-service");
  auto snapshots = ctx.first_of<berth::NamespacedSnapshots>(berth::kServicePluginType);
  if (!snapshots.ok()) return snapshots.status().with_context("transfer needs the snapshots-service");
  auto images = ctx.first_of<berth::ImageStore>(berth::kServicePluginType);
  if (!images.ok()) return images.status().with_context("transfer needs the images-service");
  auto leases = ctx.first_of<berth::LeaseStore>(berth::kServicePluginType);
  if (!leases.ok()) return leases.status().with_context("transfer needs the leases-service");
  // Without a differ, pulls can still download (skip_unpack).
  auto differ = ctx.first_of<berth::Differ>(berth::kDifferPluginType);
  deps.metadata = std::move(*md);
  deps.content = std::move(*content);
  deps.snapshots = std::move(*snapshots);
  deps.images = std::move(*images);
  deps.leases = std::move(*leases);
  if (differ.ok()) deps.differ = std::move(*differ);
  if (!deps.hosts_dir.empty()) ctx.set_export("config_path", deps.hosts_dir.string());
  // The engine is loaded on the first transfer; a missing one is reported
  // now, not by that transfer.
  auto engine = berth::plugin_engine::beside_plugin("transfer-local-engine.so");
  if (!engine.ok()) return engine.status();
  return std::shared_ptr<berth::Instance>(
      std::make_shared<berth::transfer::TransferPlugin>(std::move(deps), std::move(engine).value()));
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = std::string(berth::kTransferPluginType),
    .id = "local",
    .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kServicePluginType),
                       std::string(berth::kDifferPluginType)},
    .default_config = "config_path = \"\"\nmax_concurrent_downloads = 3\nmax_concurrent_uploads = 3\n"
                      "snapshotter = \"overlayfs\"\n",
    .init = init});
