// The io.containerd.transfer.v1.local plugin: pulls images from registries
// into the metadata plugin's namespaces, offered as berth::Transfer.
//
// Config ([plugins."io.containerd.transfer.v1.local"]):
//   config_path = ""                  containerd's hosts directory (<dir>/<host>/hosts.toml)
//   max_concurrent_downloads = 3      layers downloading at once per pull
//   snapshotter = "overlayfs"         where pulls unpack unless told otherwise
#include "berth/plugin.hpp"

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
#include "local_transfer.hpp"

namespace {

constexpr int64_t kMaxDownloads = 64;

berth::Status parse_config(const berth::InitContext& ctx, berth::transfer::PullDeps& deps) {
  auto config = berth::parse_plugin_config(ctx);
  if (!config.ok()) return config.status();
  auto path = berth::config_value<std::string>(*config, "config_path", "");
  if (!path.ok()) return path.status();
  deps.hosts_dir = *path;
  auto downloads = berth::config_value<int64_t>(*config, "max_concurrent_downloads", 3);
  if (!downloads.ok()) return downloads.status();
  if (*downloads < 1 || *downloads > kMaxDownloads)
    return berth::invalid_argument("config key 'max_concurrent_downloads' is " + std::to_string(*downloads) +
                                   "; it must be between 1 and " + std::to_string(kMaxDownloads));
  deps.max_downloads = static_cast<int>(*downloads);
  auto snapshotter = berth::config_value<std::string>(*config, "snapshotter", "overlayfs");
  if (!snapshotter.ok()) return snapshotter.status();
  if (snapshotter->empty()) return berth::invalid_argument("config key 'snapshotter' is empty");
  deps.default_snapshotter = *snapshotter;
  return {};
}

berth::InitResult init(berth::InitContext& ctx) {
  berth::transfer::PullDeps deps;
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
  return std::shared_ptr<berth::Instance>(std::make_shared<berth::transfer::LocalTransfer>(std::move(deps)));
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = std::string(berth::kTransferPluginType),
    .id = "local",
    .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kServicePluginType),
                       std::string(berth::kDifferPluginType)},
    .default_config = "config_path = \"\"\nmax_concurrent_downloads = 3\nsnapshotter = \"overlayfs\"\n",
    .init = init});
