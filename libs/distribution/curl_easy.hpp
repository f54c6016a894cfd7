// One libcurl easy handle, owned (RAII), set up for a registry host: TLS
// settings from its hosts.toml entry, redirects followed (at most 10), and
// the body streamed to a callback rather than buffered.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "registry-hosts/registry_hosts.hpp"

namespace berth::distribution {

struct Response {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase names
  std::string error_body;                                    // for a status >= 400, at most 64 KiB

  [[nodiscard]] std::string header(std::string_view name) const;
};

class CurlEasy {
 public:
  explicit CurlEasy(const registry::RegistryHost& host);
  // GET `url` with `headers`; each chunk of a 2xx body goes to `sink`, which
  // may stop the transfer with an error. Unavailable for a connection
  // failure, naming the host and curl's reason.
  Result<Response> get(const std::string& url, const std::vector<std::string>& headers,
                       const std::function<Status(std::string_view)>& sink);

 private:
  struct Cleanup {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::unique_ptr<CURL, Cleanup> curl_;
  const registry::RegistryHost& host_;
};

}  // namespace berth::distribution
