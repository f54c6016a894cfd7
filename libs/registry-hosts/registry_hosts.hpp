// The registry hosts to contact for one registry host namespace ("docker.io",
// "myregistry.io:5000"), as containerd's hosts directory configures them:
// <config_path>/<namespace>/hosts.toml names mirrors ([host."https://..."],
// tried first, in file order) and the server (tried last), each with what it
// may be trusted to do (pull, resolve, push) and how to reach it (CA files,
// client certificates, skip_verify, plain http by scheme, extra headers).
// Without a hosts.toml the namespace itself is the one host, over https
// (docker.io: registry-1.docker.io; a loopback host: plain http).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/status.hpp"

namespace berth::registry {

enum Capability : uint8_t { kPull = 1, kResolve = 2, kPush = 4 };
inline constexpr uint8_t kAllCapabilities = kPull | kResolve | kPush;

struct RegistryHost {
  std::string scheme = "https";  // "https" or "http"
  std::string host;              // host[:port], IPv6 in brackets
  std::string path = "/v2";      // the API root
  uint8_t capabilities = kAllCapabilities;
  bool skip_verify = false;
  std::vector<std::filesystem::path> ca_files;
  // Certificate and key files; an empty key means the certificate file holds both.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> client_certs;
  std::map<std::string, std::vector<std::string>> headers;
  std::string proxy;         // "" when not set
  std::string dial_timeout;  // as written ("1s"); "" when not set

  [[nodiscard]] bool can(Capability c) const { return (capabilities & c) != 0; }
  // scheme://host/path: where the API calls go.
  [[nodiscard]] std::string api_root() const { return scheme + "://" + host + path; }
};

struct HostsOptions {
  std::filesystem::path config_dir;  // containerd's config_path; "" for none
  bool plain_http = false;           // the default server over http
  bool skip_verify = false;          // the default server without certificate checks
};

// The hosts for `ns`, in the order to try them. InvalidArgument naming the
// file, line and key for a hosts.toml that does not parse or has a wrong
// type; a missing directory or file just means the default.
Result<std::vector<RegistryHost>> hosts_for(std::string_view ns, const HostsOptions& options);

// The directories searched for `ns`'s hosts.toml, in order: for a namespace
// with a port "host_port_", "host:port", then "_default"; else "host", "_default".
std::vector<std::string> namespace_dirs(std::string_view ns);

// One hosts.toml, its relative paths resolved against `dir`; `source` names
// it in messages. The server (given or the default for `ns`) comes last.
Result<std::vector<RegistryHost>> parse_hosts_toml(std::string_view text, std::string_view ns,
                                                   const std::filesystem::path& dir,
                                                   const std::string& source, const HostsOptions& options);

// The host of `ns` when nothing says otherwise.
RegistryHost default_host(std::string_view ns, const HostsOptions& options);

}  // namespace berth::registry
