// What introspection knows of each plugin: the rows of `ctr plugins ls`.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth {

// A plugin in disabled_plugins has no state: as in containerd, it is not
// registered at all, so introspection does not list it.
enum class PluginState {
  kOk,
  kSkip,
  kError,
  kInitialising,  // its init is running; never seen once berthd serves
};

std::string_view plugin_state_name(PluginState state);  // "ok", "skip", "error", "initialising"

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

// The machine's platform in OCI/Go names ("linux", "amd64"/"arm64"/...).
Platform host_platform();

struct PluginInfo {
  std::string type;
  std::string id;
  std::vector<std::string> requires_types;
  std::vector<Platform> platforms;
  std::map<std::string, std::string> exports;
  std::vector<std::string> capabilities;
  PluginState state = PluginState::kOk;
  Status error;         // why it skipped or failed; OK otherwise
  std::string library;  // the .so it came from

  [[nodiscard]] std::string key() const { return type + "." + id; }
};

// A live view of the daemon's plugin set, valid for the daemon's lifetime.
// Thread-safe: list() copies under the host's lock.
class PluginSet {
 public:
  virtual ~PluginSet();
  [[nodiscard]] virtual std::vector<PluginInfo> list() const = 0;
};

}  // namespace berth
