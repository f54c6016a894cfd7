// Finds plugin libraries and reads their descriptor tables, so that no
// plugin file can take berthd down. Each file is, in order:
//  1. read without running it (plugin_abi_check.hpp): a complete ELF shared
//     object for this host with the entry point, built for this plugin ABI
//     (and this gRPC and protobuf, if it uses berth/grpc_service.hpp);
//  2. the first time it is seen, loaded in a forked pre-flight child
//     (preflight.hpp), whose verdict is remembered (preflight_cache.hpp),
//     unless it is in the trusted (built-in) directory;
//  3. loaded here: dlopen(), the entry point, the table.
// A file failing any step is reported, with its path, and left out.
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "berth/plugin.hpp"
#include "berth/status.hpp"
#include "preflight.hpp"
#include "preflight_cache.hpp"

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

struct LoaderOptions {
  // Where pre-flight verdicts are kept between starts; empty: not kept.
  std::filesystem::path preflight_cache;
  // Files found in this directory (lexically: the path given, not what it
  // resolves to) skip step 2, the pre-flight; step 1 still reads and checks
  // every one of them. berthd's built-in plugin directory: its plugins are
  // built and installed with berthd, and trusted as its own libraries are.
  // Empty: every file is pre-flighted.
  std::filesystem::path trusted_dir;
  std::chrono::milliseconds preflight_time_limit = kPreflightTimeLimit;
};

// What the pre-flight did, for the start-up log and for tests.
struct PreflightStats {
  int children = 0;                     // processes forked
  int checked = 0;                      // files loaded in them
  int remembered = 0;                   // files whose verdict came from the cache
  int trusted = 0;                      // files in the trusted directory, not pre-flighted
  std::chrono::microseconds waited{0};  // time spent waiting for verdicts
};

class PluginLoader {
 public:
  explicit PluginLoader(LoaderOptions options = {});
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;

  // Checks and loads one library (Boost.DLL over dlopen) and returns its
  // descriptors. Libraries are loaded RTLD_NODELETE, so they are never
  // unmapped: objects their plugins made may outlive any point where
  // unloading would be safe.
  Result<std::vector<PluginDescriptor>> load(const std::filesystem::path& library);

  // Loads every *.so in `dirs` (sorted by name within a directory), in order.
  // Problems (bad directories and files, duplicate type.id) land in
  // `problems`, each naming the directory or file.
  std::vector<PluginDescriptor> discover(const std::vector<std::filesystem::path>& dirs,
                                         std::vector<std::string>& problems);

  [[nodiscard]] const PreflightStats& preflight_stats() const { return stats_; }

 private:
  struct Checked;
  Result<Checked> check(const std::filesystem::path& path) const;
  std::vector<PluginDescriptor> load_checked(const std::vector<Checked>& files,
                                             std::vector<Status>& problems);

  LoaderOptions options_;
  PreflightCache cache_;
  PreflightStats stats_;
};

}  // namespace berth::host
