// The io.containerd.snapshotter.v1.native plugin: copy-based snapshots under
// the plugin's root, offered as berth::Snapshotter.
#include "berth/plugin.hpp"

#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/snapshotter.hpp"
#include "native_snapshotter.hpp"

namespace {

// No options: the snapshots live under the plugin's root, always.
constexpr const char* kDefaultConfig = "";

berth::InitResult init(berth::InitContext& ctx) {
  // The host has type-checked the section against the (empty) defaults and
  // warned about unknown keys with their file positions; only text that is
  // not TOML at all is an error here.
  if (auto config = berth::parse_plugin_config(ctx); !config.ok()) return config.status();
  auto snapshotter = berth::snapshot::NativeSnapshotter::open(ctx.root());
  if (!snapshotter.ok()) return snapshotter.status();
  ctx.set_export("root", ctx.root().string());
  ctx.add_platform(berth::host_platform());
  return std::shared_ptr<berth::Instance>(std::move(snapshotter).value());
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{.type = std::string(berth::kSnapshotterPluginType),
                                .id = "native",
                                .requires_types = {},
                                .default_config = kDefaultConfig,
                                .init = init});
