#include "config_commands.hpp"

#include <iostream>

#include "daemon.hpp"
#include "plugin_config.hpp"
#include "plugin_loader.hpp"

namespace berth::host {
namespace {

int print(std::ostream& out, const DaemonConfig& config, const std::filesystem::path& builtin_dir,
          bool overlay_user) {
  PluginLoader loader({.trusted_dir = builtin_dir});
  std::vector<std::string> problems;
  auto plugins = loader.discover(plugin_search_path(config, builtin_dir), problems);
  for (const auto& p : problems) std::cerr << "berthd: warning: " << p << "\n";
  if (overlay_user) {
    Warnings warnings;
    if (Status s = check_plugin_sections(config, plugins, warnings); !s.ok()) {
      std::cerr << "berthd: " << s.message() << "\n";
      return 1;
    }
    for (const auto& w : warnings) std::cerr << "berthd: warning: " << w << "\n";
  }
  toml::table doc = to_toml(config);
  toml::table sections;
  for (const auto& p : plugins) {
    sections.insert(p.key(), overlay_user ? effective_plugin_config(config, p) : p.defaults);
  }
  if (overlay_user) {
    // Sections for plugins that are not installed are kept, as written.
    for (const auto& [key, table] : config.plugins) {
      if (!sections.contains(key)) sections.insert(key, table);
    }
  }
  doc.insert("plugins", std::move(sections));
  out << to_text(doc) << "\n";
  return 0;
}

}  // namespace

int print_default_config(std::ostream& out, const std::filesystem::path& builtin_dir) {
  return print(out, DaemonConfig{}, builtin_dir, false);
}

int print_effective_config(std::ostream& out, const DaemonConfig& config,
                           const std::filesystem::path& builtin_dir) {
  return print(out, config, builtin_dir, true);
}

}  // namespace berth::host
