// The io.containerd.differ.v1.walking plugin: applies and writes layers for
// the content in the metadata plugin's namespaces, offered as berth::Differ.
#include "berth/plugin.hpp"

#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include "berth/config.hpp"
#include "berth/diff.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/services.hpp"
#include "differ_plugin.hpp"

namespace {

std::string default_config() {
  const berth::diff::DifferLimits d;
  return "max_apply_bytes = " + std::to_string(d.max_apply_bytes) +
         "\n"
         "max_apply_entries = " +
         std::to_string(d.max_apply_entries) +
         "\n"
         "max_concurrent_applies = " +
         std::to_string(d.max_concurrent_applies) + "\n";
}

// A positive integer up to `max`: there is no "unlimited" (0 or a negative
// number is a config error, not a way to switch the bound off).
berth::Result<int64_t> positive(const toml::table& config, std::string_view key, int64_t fallback,
                                int64_t max) {
  auto value = berth::config_value<int64_t>(config, key, fallback);
  if (!value.ok()) return value.status();
  if (*value < 1 || *value > max) {
    return berth::invalid_argument("config key '" + std::string(key) + "' is " + std::to_string(*value) +
                                   "; it must be between 1 and " + std::to_string(max));
  }
  return *value;
}

berth::Result<berth::diff::DifferLimits> parse_limits(const berth::InitContext& ctx) {
  auto config = berth::parse_plugin_config(ctx);
  if (!config.ok()) return config.status();
  berth::diff::DifferLimits limits;
  constexpr int64_t kAny = std::numeric_limits<int64_t>::max();
  auto bytes = positive(*config, "max_apply_bytes", limits.max_apply_bytes, kAny);
  if (!bytes.ok()) return bytes.status();
  limits.max_apply_bytes = *bytes;
  auto entries = positive(*config, "max_apply_entries", limits.max_apply_entries, kAny);
  if (!entries.ok()) return entries.status();
  limits.max_apply_entries = *entries;
  // Each running apply holds a thread: thousands would be a mistake.
  auto concurrent = positive(*config, "max_concurrent_applies", limits.max_concurrent_applies, 1024);
  if (!concurrent.ok()) return concurrent.status();
  limits.max_concurrent_applies = static_cast<int>(*concurrent);
  return limits;
}

berth::InitResult init(berth::InitContext& ctx) {
  auto limits = parse_limits(ctx);
  if (!limits.ok()) return limits.status();
  auto content = ctx.first_of<berth::NamespacedContent>(berth::kServicePluginType);
  if (!content.ok()) return content.status().with_context("walking differ needs namespaced content");
  ctx.add_platform(berth::host_platform());
  // The engine is loaded on the first apply or compare; a missing one is
  // reported now, not by that request.
  auto engine = berth::plugin_engine::beside_plugin("differ-walking-engine.so");
  if (!engine.ok()) return engine.status();
  return std::shared_ptr<berth::Instance>(std::make_shared<berth::diff::DifferPlugin>(
      berth::diff::DifferEngineArgs{
          .content = std::move(content).value(), .root = ctx.root(), .state = ctx.state(), .limits = *limits},
      std::move(engine).value()));
}

}  // namespace

BERTH_PLUGINS(berth::PluginSpec{
    .type = std::string(berth::kDifferPluginType),
    .id = "walking",
    .requires_types = {std::string(berth::kMetadataPluginType), std::string(berth::kServicePluginType)},
    .default_config = default_config(),
    .init = init});
