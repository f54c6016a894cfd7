// Finds plugin libraries and reads their descriptor tables. A library that is
// not an ELF object, lacks the entry point or carries another ABI version is
// reported and left out; nothing in it ever runs beyond its static
// constructors and the entry point.
#pragma once

#include <toml++/toml.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "berth/plugin.hpp"
#include "berth/status.hpp"

namespace berth::host {

// The host's copy of one berth_plugin_descriptor.
struct PluginDescriptor {
  std::string type;
  std::string id;
  std::vector<std::string> requires_types;
  toml::table defaults;    // parsed default config
  Status defaults_status;  // a plugin whose defaults do not parse fails init
  InitFn init = nullptr;
  InvokeFn invoke = nullptr;
  std::string library;

  [[nodiscard]] std::string key() const { return type + "." + id; }
};

class PluginLoader {
 public:
  PluginLoader();
  ~PluginLoader();
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;

  // Loads one library and returns its descriptors. The library stays loaded
  // for the life of the loader (plugins are never unloaded: objects they made
  // may outlive any point where unloading would be safe).
  Result<std::vector<PluginDescriptor>> load(const std::filesystem::path& library);

  // Loads every *.so in `dirs` (sorted by name within a directory), in order.
  // Problems (bad libraries, duplicate type.id) land in `problems`.
  std::vector<PluginDescriptor> discover(const std::vector<std::filesystem::path>& dirs,
                                         std::vector<std::string>& problems);

 private:
  struct Libraries;
  std::unique_ptr<Libraries> libs_;
};

}  // namespace berth::host
