// The io.containerd.snapshotter.v1.overlayfs plugin: overlayfs snapshots
// under the plugin's root, offered as berth::Snapshotter. Skips (ctr plugins
// ls shows "skip") where overlayfs cannot be mounted on that root.
#include "berth/plugin.hpp"

#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/log.hpp"
#include "berth/snapshotter.hpp"
#include "overlay_check.hpp"
#include "overlay_snapshotter.hpp"
#include "snapshot-storage/plugin_instance.hpp"

namespace {

// containerd's options for its overlayfs snapshotter.
constexpr const char* kDefaultConfig =
    "upperdir_label = false\n"
    "sync_remove = false\n"
    "mount_options = []\n";

berth::Result<berth::snapshot::OverlayOptions> parse_options(const berth::InitContext& ctx) {
  auto config = berth::parse_plugin_config(ctx);
  if (!config.ok()) return config.status();
  berth::snapshot::OverlayOptions options;
  auto upperdir_label = berth::config_value<bool>(*config, "upperdir_label", false);
  if (!upperdir_label.ok()) return upperdir_label.status();
  options.upperdir_label = *upperdir_label;
  auto sync_remove = berth::config_value<bool>(*config, "sync_remove", false);
  if (!sync_remove.ok()) return sync_remove.status();
  options.sync_remove = *sync_remove;
  if (const toml::node* node = config->get("mount_options")) {
    const toml::array* list = node->as_array();
    if (list == nullptr)
      return berth::invalid_argument("config key 'mount_options' must be an array of strings");
    for (const auto& item : *list) {
      auto word = item.value_exact<std::string>();
      if (!word) return berth::invalid_argument("config key 'mount_options' must be an array of strings");
      options.mount_options.push_back(*word);
    }
  }
  return options;
}

berth::InitResult init(berth::InitContext& ctx) {
  auto options = parse_options(ctx);
  if (!options.ok()) return options.status();
  auto check = berth::snapshot::check_overlay_support(ctx.root());
  if (!check.ok()) return check.status();
  auto opened = berth::snapshot::OverlaySnapshotter::open(ctx.root(), std::move(options).value());
  if (opened.ok()) (*opened)->keep(std::move(check).value());
  return berth::snapshot::plugin_instance(ctx, std::move(opened));
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{.type = std::string(berth::kSnapshotterPluginType),
                                .id = "overlayfs",
                                .default_config = kDefaultConfig,
                                .init = init});
