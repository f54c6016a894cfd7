// The hello plugin's configuration: the keys of [plugins."io.berth.example.v1.hello"]
// in berthd's config.toml.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <string>

#include "berth/status.hpp"

namespace hello {

struct HelloConfig {
  std::string greeting = "hello";  // what the plugin says; never empty
  int64_t repeat = 1;              // how many times, kMinRepeat..kMaxRepeat
};

// Bounds on `repeat`: the exported greeting is shown in one `ctr plugins ls -d`
// line, so an unbounded value would only produce an unreadable listing.
inline constexpr int64_t kMinRepeat = 1;
inline constexpr int64_t kMaxRepeat = 10;

// The plugin's declared defaults (PluginSpec::default_config). The host overlays
// the operator's section on them, and `berthd config default` prints them as the
// plugin's section, so operators see every key the plugin reads.
extern const char* const kDefaultConfig;

// Reads and checks the effective config. A wrong type or an out-of-range value is
// InvalidArgument naming the key: the host lists the plugin as "error" with that
// message and keeps running the other plugins.
berth::Result<HelloConfig> parse_config(const toml::table& table);

}  // namespace hello
