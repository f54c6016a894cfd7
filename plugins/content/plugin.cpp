// The io.containerd.content.v1.content plugin: the local content store under
// the plugin's root, offered as berth::ContentStore.
#include "berth/plugin.hpp"

#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/content_store.hpp"
#include "local_store.hpp"

namespace {

// No options: every commit is fsynced, always. A content store that may lose
// committed blobs would leave the metadata pointing at nothing after a crash.
constexpr const char* kDefaultConfig = "";

berth::InitResult init(berth::InitContext& ctx) {
  // The host has type-checked the section against the (empty) defaults and
  // warned about unknown keys with their file positions; only text that is
  // not TOML at all is an error here.
  if (auto config = berth::parse_plugin_config(ctx); !config.ok()) return config.status();
  auto store = berth::content::LocalStore::open(ctx.root());
  if (!store.ok()) return store.status();
  ctx.set_export("root", ctx.root().string());
  return std::shared_ptr<berth::Instance>(std::move(store).value());
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{.type = std::string(berth::kContentPluginType),
                                .id = "content",
                                .default_config = kDefaultConfig,
                                .init = init});
