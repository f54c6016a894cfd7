#include "registry_hosts.hpp"

#include <system_error>

#include "files/fd_io.hpp"

namespace berth::registry {
namespace {

// The host part of "host[:port]" (an IPv6 literal keeps its brackets).
std::string_view host_only(std::string_view ns) {
  if (ns.starts_with('[')) {
    const auto end = ns.find(']');
    return end == std::string_view::npos ? ns : ns.substr(0, end + 1);
  }
  return ns.substr(0, ns.find(':'));
}

bool is_loopback(std::string_view ns) {
  const std::string_view host = host_only(ns);
  return host == "localhost" || host.starts_with("127.") || host == "[::1]";
}

}  // namespace

RegistryHost default_host(std::string_view ns, const HostsOptions& options) {
  RegistryHost h;
  h.host = ns == "docker.io" ? "registry-1.docker.io" : std::string(ns);
  if (options.plain_http || is_loopback(ns)) {
    // As containerd: a registry on this machine is spoken to over http.
    h.scheme = "http";
  }
  h.skip_verify = options.skip_verify;
  return h;
}

std::vector<std::string> namespace_dirs(std::string_view ns) {
  std::vector<std::string> dirs;
  const std::string_view host = host_only(ns);
  if (host.size() < ns.size() && ns[host.size()] == ':') {
    dirs.push_back(std::string(host) + "_" + std::string(ns.substr(host.size() + 1)) + "_");
  }
  dirs.emplace_back(ns);
  dirs.emplace_back("_default");
  return dirs;
}

Result<std::vector<RegistryHost>> hosts_for(std::string_view ns, const HostsOptions& options) {
  if (ns.empty()) return invalid_argument("registry host namespace must not be empty");
  if (!options.config_dir.empty()) {
    for (const auto& name : namespace_dirs(ns)) {
      const auto dir = options.config_dir / name;
      const auto file = dir / "hosts.toml";
      // hosts.toml is small; 1 MiB is far more than any real one needs.
      auto text = files::read_file(file, 1 << 20);
      if (!text.ok()) {
        if (text.status().code() == Code::kNotFound) continue;
        return text.status();
      }
      return parse_hosts_toml(*text, ns, dir, file.string(), options);
    }
  }
  return std::vector<RegistryHost>{default_host(ns, options)};
}

}  // namespace berth::registry
