// Reading a plugin's configuration. Each plugin declares its defaults as TOML
// text in its PluginSpec; the host overlays the operator's section and hands
// the result over as text, so no toml++ object crosses the library boundary.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "berth/init_context.hpp"
#include "berth/status.hpp"

namespace berth {

inline Result<toml::table> parse_plugin_config(const InitContext& ctx) {
  try {
    return toml::parse(ctx.config_toml());
  } catch (const toml::parse_error& e) {
    return invalid_argument("config for " + ctx.type() + "." + ctx.id() + ": " +
                            std::string(e.description()));
  }
}

// A typed value from a plugin's config table, or InvalidArgument naming the
// key when it has another type. Missing keys yield `fallback`.
template <class T>
Result<T> config_value(const toml::table& table, std::string_view key, T fallback) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return fallback;
  if (auto v = node->value_exact<T>()) return *v;
  if constexpr (std::is_same_v<T, double>) {
    if (auto i = node->value_exact<int64_t>()) return static_cast<double>(*i);
  }
  return invalid_argument("config key '" + std::string(key) + "' has the wrong type");
}

}  // namespace berth
