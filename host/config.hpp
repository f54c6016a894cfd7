// berthd's configuration: containerd's config.toml keys (version 2) plus
// Berth's plugin_dirs. Parsing reports every problem with file:line:column.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth::host {

struct GrpcConfig {
  std::string address = "/run/berth/berth.sock";
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t max_recv_message_size = 16 << 20;  // containerd's defaults
  int64_t max_send_message_size = 16 << 20;
  // Berth's own key: calls served at once. Each call in flight holds one
  // server thread (the server is synchronous), so this caps the daemon's
  // threads; a call beyond it is refused with RESOURCE_EXHAUSTED.
  int64_t max_concurrent_calls = 128;
};

// The highest max_concurrent_calls accepted: beyond it the cap caps nothing.
inline constexpr int64_t kMaxConcurrentCallsLimit = 4096;

struct DaemonConfig {
  int64_t version = 2;
  std::string root = "/var/lib/berth";
  std::string state = "/run/berth";
  // Scanned after the built-in plugin directory (next to berthd).
  std::vector<std::string> plugin_dirs;
  std::vector<std::string> disabled_plugins;
  std::vector<std::string> required_plugins;
  int64_t oom_score = 0;
  GrpcConfig grpc;
  std::string log_level = "info";       // [debug] level
  std::string metrics_address;          // [metrics] address: where /v1/metrics is served; empty: off
  bool metrics_grpc_histogram = false;  // [metrics] grpc_histogram: gRPC latency histograms
  // [plugins."<type>.<id>"] tables as written, keyed "<type>.<id>".
  std::map<std::string, toml::table> plugins;
  std::string source;  // the file these came from, "" for built-in defaults
  // The parsed file. toml++ drops source positions when a table is copied,
  // so messages about plugin sections point into this original.
  std::shared_ptr<const toml::table> document;
};

// Problems that do not stop the daemon (unknown keys), as "file:line:col: text".
using Warnings = std::vector<std::string>;

// Parse a config file. Malformed TOML, a wrong type or an unsupported version
// is InvalidArgument naming file, line, column and key.
Result<DaemonConfig> load_config(const std::filesystem::path& file, Warnings& warnings);
Result<DaemonConfig> parse_config(std::string_view text, const std::string& source, Warnings& warnings);

// containerd's level names: trace, debug, info, warn(ing), error, fatal, panic.
bool known_log_level(const std::string& level);

// Where `node` was defined, "file:line:col", for messages.
std::string where(const toml::node& node, const std::string& fallback_source);

// The daemon's part of the config as TOML (no plugin sections).
toml::table to_toml(const DaemonConfig& config);

}  // namespace berth::host
