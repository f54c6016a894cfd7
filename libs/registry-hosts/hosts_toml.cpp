// hosts.toml as containerd's docs/hosts.md describes it: root fields for the
// server (server, capabilities, ca, client, skip_verify, header,
// override_path, dial_timeout, proxy) and [host."<url>"] tables with the same
// fields for each mirror.
#include <toml++/toml.h>

#include <algorithm>

#include "registry_hosts.hpp"

namespace berth::registry {
namespace {

std::string position(const toml::node& node, const std::string& source) {
  const auto& r = node.source();
  return source + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

Status wrong(const toml::node& node, const std::string& source, const std::string& key,
             std::string_view want) {
  return invalid_argument(position(node, source) + ": key '" + key + "' must be " + std::string(want));
}

std::filesystem::path resolve(const std::filesystem::path& dir, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : dir / p;
}

// A string or an array of strings.
Result<std::vector<std::string>> strings(const toml::node& node, const std::string& source,
                                         const std::string& key) {
  if (auto s = node.value_exact<std::string>()) return std::vector<std::string>{*s};
  const auto* arr = node.as_array();
  if (arr == nullptr) return wrong(node, source, key, "a string or an array of strings");
  std::vector<std::string> out;
  for (const auto& el : *arr) {
    auto s = el.value_exact<std::string>();
    if (!s) return wrong(el, source, key, "a string or an array of strings");
    out.push_back(*s);
  }
  return out;
}

// "https://mirror.registry/us" into scheme, host and API root.
Status parse_url(std::string_view url, bool override_path, RegistryHost& h, const std::string& where) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return invalid_argument(where + ": host \"" + std::string(url) +
                            "\" is not a URL (want https://host or http://host)");
  }
  h.scheme = std::string(url.substr(0, sep));
  if (h.scheme != "https" && h.scheme != "http") {
    return invalid_argument(where + ": host \"" + std::string(url) + "\": scheme must be https or http");
  }
  std::string_view rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  h.host = std::string(rest.substr(0, slash));
  if (h.host.empty()) return invalid_argument(where + ": host \"" + std::string(url) + "\" names no host");
  std::string path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (path.ends_with('/')) path.pop_back();
  // Without override_path the URL's path is a prefix before the API's /v2.
  h.path = override_path ? path : path + "/v2";
  return {};
}

// The fields a server and a mirror share, from `table` into `h`.
Status read_fields(const toml::table& table, const std::filesystem::path& dir, const std::string& source,
                   const std::string& prefix, RegistryHost& h) {
  for (const auto& [k, v] : table) {
    const std::string key(k.str());
    const std::string name = prefix + key;
    if (key == "server" || key == "host") continue;  // handled by the caller
    if (key == "capabilities") {
      auto caps = strings(v, source, name);
      if (!caps.ok()) return caps.status();
      h.capabilities = 0;
      for (const auto& c : *caps) {
        if (c == "pull") {
          h.capabilities |= kPull;
        } else if (c == "resolve") {
          h.capabilities |= kResolve;
        } else if (c == "push") {
          h.capabilities |= kPush;
        } else {
          return invalid_argument(position(v, source) + ": key '" + name + "': unknown capability \"" + c +
                                  "\" (pull, resolve, push)");
        }
      }
    } else if (key == "ca") {
      auto files = strings(v, source, name);
      if (!files.ok()) return files.status();
      for (const auto& f : *files) h.ca_files.push_back(resolve(dir, f));
    } else if (key == "client") {
      // A path, an array of paths, or an array of [cert, key] pairs.
      if (const auto* arr = v.as_array(); arr != nullptr && !arr->empty() && arr->front().is_array()) {
        for (const auto& pair : *arr) {
          const auto* p = pair.as_array();
          if (p == nullptr || p->size() != 2 || !p->get(0)->is_string() || !p->get(1)->is_string())
            return wrong(pair, source, name, "an array of [certificate, key] pairs");
          const std::string key_file = *p->get(1)->value<std::string>();
          h.client_certs.emplace_back(resolve(dir, *p->get(0)->value<std::string>()),
                                      key_file.empty() ? std::filesystem::path() : resolve(dir, key_file));
        }
      } else {
        auto files = strings(v, source, name);
        if (!files.ok()) return files.status();
        for (const auto& f : *files) h.client_certs.emplace_back(resolve(dir, f), std::filesystem::path());
      }
    } else if (key == "skip_verify" || key == "override_path") {
      if (!v.is_boolean()) return wrong(v, source, name, "true or false");
      if (key == "skip_verify") h.skip_verify = *v.value<bool>();
    } else if (key == "header") {
      const auto* headers = v.as_table();
      if (headers == nullptr) return wrong(v, source, name, "a table");
      for (const auto& [hk, hv] : *headers) {
        auto values = strings(hv, source, name + "." + std::string(hk.str()));
        if (!values.ok()) return values.status();
        h.headers[std::string(hk.str())] = std::move(*values);
      }
    } else if (key == "proxy" || key == "dial_timeout") {
      auto s = v.value_exact<std::string>();
      if (!s) return wrong(v, source, name, "a string");
      (key == "proxy" ? h.proxy : h.dial_timeout) = *s;
    } else {
      return invalid_argument(position(v, source) + ": unknown key '" + name + "'");
    }
  }
  return {};
}

bool override_path_of(const toml::table& table) { return table["override_path"].value_or(false); }

}  // namespace

Result<std::vector<RegistryHost>> parse_hosts_toml(std::string_view text, std::string_view ns,
                                                   const std::filesystem::path& dir,
                                                   const std::string& source, const HostsOptions& options) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& r = e.source();
    return invalid_argument(source + ":" + std::to_string(r.begin.line) + ":" +
                            std::to_string(r.begin.column) + ": " + std::string(e.description()));
  }
  std::vector<RegistryHost> hosts;
  if (const toml::node* mirrors = doc.get("host")) {
    const auto* table = mirrors->as_table();
    if (table == nullptr) return wrong(*mirrors, source, "host", "a table of [host.\"<url>\"] tables");
    // toml++ keeps a table's keys sorted; containerd tries mirrors in the
    // order the file lists them, so order them by where they were written.
    std::vector<std::pair<std::string, const toml::table*>> listed;
    for (const auto& [url, entry] : *table) {
      const auto* t = entry.as_table();
      if (t == nullptr) return wrong(entry, source, "host.\"" + std::string(url.str()) + "\"", "a table");
      listed.emplace_back(std::string(url.str()), t);
    }
    std::stable_sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) {
      const auto& ra = a.second->source().begin;
      const auto& rb = b.second->source().begin;
      return ra.line != rb.line ? ra.line < rb.line : ra.column < rb.column;
    });
    for (const auto& [url, t] : listed) {
      if (t->contains("host"))
        return invalid_argument(position(*t, source) + ": host \"" + url +
                                "\" may not list hosts of its own");
      RegistryHost h;
      BERTH_RETURN_IF_ERROR(parse_url(url, override_path_of(*t), h, position(*t, source)));
      BERTH_RETURN_IF_ERROR(read_fields(*t, dir, source, "host.\"" + url + "\".", h));
      hosts.push_back(std::move(h));
    }
  }
  RegistryHost server = default_host(ns, options);
  if (const toml::node* s = doc.get("server")) {
    auto url = s->value_exact<std::string>();
    if (!url) return wrong(*s, source, "server", "a URL string");
    server = RegistryHost{};
    BERTH_RETURN_IF_ERROR(parse_url(*url, override_path_of(doc), server, position(*s, source)));
  }
  BERTH_RETURN_IF_ERROR(read_fields(doc, dir, source, "", server));
  hosts.push_back(std::move(server));
  return hosts;
}

}  // namespace berth::registry
