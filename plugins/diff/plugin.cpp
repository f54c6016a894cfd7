// The io.containerd.differ.v1.walking plugin: applies and writes layers for
// the content in the metadata plugin's namespaces, offered as berth::Differ.
#include "berth/plugin.hpp"

#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/diff.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/services.hpp"
#include "walking_differ.hpp"

namespace {

berth::InitResult init(berth::InitContext& ctx) {
  // The host has type-checked the section against the (empty) defaults and
  // warned about unknown keys with their file positions; only text that is
  // not TOML at all is an error here.
  if (auto config = berth::parse_plugin_config(ctx); !config.ok()) return config.status();
  auto content = ctx.first_of<berth::NamespacedContent>(berth::kServicePluginType);
  if (!content.ok()) return content.status().with_context("walking differ needs namespaced content");
  ctx.add_platform(berth::host_platform());
  return std::shared_ptr<berth::Instance>(
      std::make_shared<berth::diff::WalkingDiffer>(std::move(content).value(), ctx.state()));
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = std::string(berth::kDifferPluginType),
    .id = "walking",
    .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kServicePluginType)},
    .default_config = "",
    .init = init});
