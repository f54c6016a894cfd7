#include "plugin_loader.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <set>

namespace berth::host {

struct PluginLoader::Libraries {
  std::vector<boost::dll::shared_library> loaded;
};

PluginLoader::PluginLoader() : libs_(std::make_unique<Libraries>()) {}
PluginLoader::~PluginLoader() = default;

Result<std::vector<PluginDescriptor>> PluginLoader::load(const std::filesystem::path& path) {
  boost::dll::shared_library lib;
  boost::dll::fs::error_code ec;
  // RTLD_NOW: an unresolved symbol fails here, not in the middle of a request.
  // RTLD_LOCAL: two plugins may carry symbols of the same name.
  // RTLD_NODELETE: never unmapped, not even at exit; dlclose() while plugin
  // objects, threads or atexit handlers still point into it would crash.
  const auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local |
                    static_cast<boost::dll::load_mode::type>(RTLD_NODELETE);
  lib.load(path, mode, ec);
  if (ec) return invalid_argument("load " + path.string() + ": " + ec.message());
  if (!lib.has(BERTH_PLUGIN_ENTRY_SYMBOL)) {
    return invalid_argument("load " + path.string() +
                            ": no entry point " BERTH_PLUGIN_ENTRY_SYMBOL " (not a Berth plugin)");
  }
  auto entry = lib.get<const berth_plugin_table*()>(BERTH_PLUGIN_ENTRY_SYMBOL);
  const berth_plugin_table* table = entry();
  if (table == nullptr) return invalid_argument("load " + path.string() + ": entry point returned no table");
  // The version is the only field we may read before knowing the layout.
  if (table->abi_version != BERTH_PLUGIN_ABI_VERSION) {
    return failed_precondition("load " + path.string() + ": plugin ABI version " +
                               std::to_string(table->abi_version) + ", berthd speaks " +
                               std::to_string(BERTH_PLUGIN_ABI_VERSION) + "; rebuild it against this SDK");
  }
  std::vector<PluginDescriptor> out;
  for (uint32_t i = 0; i < table->count; ++i) {
    const berth_plugin_descriptor& d = table->plugins[i];
    if (d.type == nullptr || d.id == nullptr || d.init == nullptr || d.invoke == nullptr || *d.type == '\0' ||
        *d.id == '\0') {
      return invalid_argument("load " + path.string() + ": descriptor " + std::to_string(i) +
                              " lacks a type, id or init function");
    }
    PluginDescriptor p;
    p.type = d.type;
    p.id = d.id;
    for (const char* const* r = d.requires_types; r != nullptr && *r != nullptr; ++r)
      p.requires_types.emplace_back(*r);
    try {
      p.defaults = toml::parse(d.default_config ? d.default_config : "",
                               path.string() + " (" + p.key() + " defaults)");
    } catch (const toml::parse_error& e) {
      p.defaults_status = invalid_argument("default config does not parse: " + std::string(e.description()));
    }
    p.init = d.init;
    p.invoke = d.invoke;
    p.library = path.string();
    out.push_back(std::move(p));
  }
  libs_->loaded.push_back(std::move(lib));
  return out;
}

std::vector<PluginDescriptor> PluginLoader::discover(const std::vector<std::filesystem::path>& dirs,
                                                     std::vector<std::string>& problems) {
  std::vector<PluginDescriptor> all;
  std::set<std::string> keys;
  std::set<std::filesystem::path> seen_files;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      problems.push_back("plugin directory " + dir.string() + " does not exist");
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".so" && entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      auto canonical = std::filesystem::weakly_canonical(file, ec);
      if (!seen_files.insert(ec ? file : canonical).second) continue;  // same dir listed twice
      auto loaded = load(file);
      if (!loaded.ok()) {
        problems.push_back(loaded.status().message());
        continue;
      }
      for (auto& p : *loaded) {
        if (!keys.insert(p.key()).second) {
          problems.push_back("load " + file.string() + ": plugin " + p.key() +
                             " is already provided by another library; ignored");
          continue;
        }
        all.push_back(std::move(p));
      }
    }
  }
  return all;
}

}  // namespace berth::host
