// One libcurl easy handle, owned (RAII), set up for a registry host: TLS
// settings from its hosts.toml entry, redirects followed (at most 10) for
// requests without a body, and the body streamed to a callback rather than
// buffered.
#pragma once

#include <curl/curl.h>

#include <cstdint>
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

// The registry's answer `r` to `what` as a status naming the registry, with
// its error body (the distribution spec's {"errors":[{code, message}]}, or
// the first 512 bytes of anything else) as the message: 404 NotFound, 400
// InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 429 and 5xx
// Unavailable, anything else FailedPrecondition.
Status status_of(const Response& r, const registry::RegistryHost& host, const std::string& what);

// Reads up to `len` bytes at `offset` into `buf`: the count, 0 at the end.
using ReadAt = std::function<Result<std::size_t>(int64_t offset, char* buf, std::size_t len)>;

// A request body: `length` bytes of `read` from `offset`. Described rather
// than streamed once, so a request that must be sent again (after a 401
// challenge) can read it again from its start.
struct Body {
  ReadAt read;
  int64_t offset = 0;
  int64_t length = 0;
};

struct Request {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;
  std::vector<std::string> headers;
  const Body* body = nullptr;  // none: no body (an empty one for POST and PUT)
  // Each chunk of a 2xx answer's body; may stop the transfer with an error.
  // Null: the body is dropped.
  const std::function<Status(std::string_view)>* sink = nullptr;
};

class CurlEasy {
 public:
  explicit CurlEasy(const registry::RegistryHost& host);
  // Unavailable for a connection failure, naming the host and curl's
  // reason; the sink's or the body's own error when either stopped it.
  Result<Response> perform(const Request& request);
  Result<Response> get(const std::string& url, const std::vector<std::string>& headers,
                       const std::function<Status(std::string_view)>& sink) {
    return perform({.method = "GET", .url = url, .headers = headers, .body = nullptr, .sink = &sink});
  }

 private:
  struct Cleanup {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
  };
  std::unique_ptr<CURL, Cleanup> curl_;
  const registry::RegistryHost& host_;
};

// `reference` (a Location header: absolute, or relative to `base` as RFC
// 3986 says) as an absolute URL.
Result<std::string> resolve_url(const std::string& base, const std::string& reference);

// "scheme://host:port" of an absolute URL, lowercase, the port always
// written: whether two URLs are the same origin, for credentials.
Result<std::string> origin_of(const std::string& url);

// `value` escaped for a URL's query.
std::string escape(std::string_view value);

}  // namespace berth::distribution
