#include "plugin_config.hpp"

#include <sstream>

namespace berth::host {
namespace {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "a value";
  }
}

// A defaults table whose entries are all tables is a map of named records
// (runtimes."io.containerd.runc.v2"): the operator may add names of their
// own, each checked against the shape of the first record the defaults give.
const toml::node* record_shape(const toml::table& defaults) {
  if (defaults.empty()) return nullptr;
  for (const auto& [k, v] : defaults) {
    if (!v.is_table()) return nullptr;
  }
  return &defaults.cbegin()->second;
}

Status check_table(const toml::table& defaults, const toml::table& user, const std::string& prefix,
                   const std::string& source, Warnings& warnings) {
  for (const auto& [k, v] : user) {
    const std::string key = prefix + std::string(k.str());
    const toml::node* def = defaults.get(k.str());
    if (def == nullptr && v.is_table()) def = record_shape(defaults);
    if (def == nullptr) {
      warnings.push_back(where(v, source) + ": unknown key '" + key + "' ignored by the plugin");
      continue;
    }
    const bool numbers = (def->is_floating_point() && v.is_integer());
    if (def->type() != v.type() && !numbers) {
      return invalid_argument(where(v, source) + ": key '" + key + "' must be " + type_name(*def) + ", not " +
                              type_name(v));
    }
    if (def->is_table()) {
      BERTH_RETURN_IF_ERROR(check_table(*def->as_table(), *v.as_table(), key + ".", source, warnings));
    }
  }
  return {};
}

}  // namespace

Status check_plugin_sections(const DaemonConfig& config, const std::vector<PluginDescriptor>& plugins,
                             Warnings& warnings) {
  for (const auto& [key, copy] : config.plugins) {
    const toml::table* original = nullptr;
    if (config.document) {
      if (const auto* plugins = config.document->get_as<toml::table>("plugins"))
        original = plugins->get_as<toml::table>(key);
    }
    const toml::table& table = original != nullptr ? *original : copy;
    const PluginDescriptor* found = nullptr;
    for (const auto& p : plugins) {
      if (p.key() == key) found = &p;
    }
    if (found == nullptr) {
      warnings.push_back(where(table, config.source) + ": no plugin " + key +
                         " is installed; section ignored");
      continue;
    }
    BERTH_RETURN_IF_ERROR(
        check_table(found->defaults, table, "plugins.\"" + key + "\".", config.source, warnings));
  }
  return {};
}

toml::table overlay(const toml::table& defaults, const toml::table& user) {
  toml::table out = defaults;
  for (const auto& [k, v] : user) {
    toml::node* existing = out.get(k.str());
    if (existing != nullptr && existing->is_table() && v.is_table()) {
      *existing->as_table() = overlay(*existing->as_table(), *v.as_table());
    } else {
      out.insert_or_assign(k, v);
    }
  }
  return out;
}

toml::table effective_plugin_config(const DaemonConfig& config, const PluginDescriptor& plugin) {
  auto it = config.plugins.find(plugin.key());
  if (it == config.plugins.end()) return plugin.defaults;
  return overlay(plugin.defaults, it->second);
}

std::string to_text(const toml::table& table) {
  std::ostringstream out;
  // Double-quoted strings and keys, as containerd's configs are written.
  out << toml::toml_formatter(table, toml::toml_formatter::default_flags & ~toml::format_flags::indentation &
                                         ~toml::format_flags::allow_literal_strings);
  return out.str();
}

}  // namespace berth::host
