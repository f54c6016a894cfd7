// The io.containerd.snapshotter.v1.native plugin: copy-based snapshots under
// the plugin's root, offered as berth::Snapshotter.
#include "berth/plugin.hpp"

#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/snapshotter.hpp"
#include "native_snapshotter.hpp"
#include "snapshot-storage/plugin_instance.hpp"

namespace {

// No options: the snapshots live under the plugin's root, always.
constexpr const char* kDefaultConfig = "";

berth::InitResult init(berth::InitContext& ctx) {
  // The host has type-checked the section against the (empty) defaults and
  // warned about unknown keys with their file positions; only text that is
  // not TOML at all is an error here.
  if (auto config = berth::parse_plugin_config(ctx); !config.ok()) return config.status();
  return berth::snapshot::plugin_instance(ctx, berth::snapshot::NativeSnapshotter::open(ctx.root()));
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{.type = std::string(berth::kSnapshotterPluginType),
                                .id = "native",
                                .default_config = kDefaultConfig,
                                .init = init});
