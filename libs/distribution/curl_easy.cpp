#include "curl_easy.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <tuple>

namespace berth::distribution {
namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;

// curl_global_init is not thread-safe; done once, before the first handle.
void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  CURL* curl = nullptr;
  Response response;
  const std::function<Status(std::string_view)>* sink = nullptr;
  const Body* body = nullptr;
  int64_t sent = 0;  // of the body
  Status stopped;    // why the sink or the body stopped the transfer
};

std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->body == nullptr) return 0;
  const auto want =
      static_cast<std::size_t>(std::min<int64_t>(static_cast<int64_t>(size * n), t->body->length - t->sent));
  if (want == 0) return 0;
  auto got = t->body->read(t->body->offset + t->sent, buf, want);
  if (!got.ok() || *got == 0 || *got > want) {
    t->stopped = !got.ok() ? got.status()
                           : data_loss("the content ended after " + std::to_string(t->sent) + " of the " +
                                       std::to_string(t->body->length) + " bytes to send");
    return CURL_READFUNC_ABORT;
  }
  t->sent += static_cast<int64_t>(*got);
  return *got;
}

struct UrlCleanup {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    t->response.headers.emplace_back(std::move(name), std::string(value));
  } else if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a redirect's headers are not the answer's
  }
  return size * n;
}

}  // namespace

Status status_of(const Response& r, const registry::RegistryHost& host, const std::string& what) {
  const std::string where = "registry " + host.host + ": " + what + ": HTTP " + std::to_string(r.status);
  std::string detail;
  try {
    const auto j = nlohmann::json::parse(r.error_body);
    for (const auto& e : j.at("errors")) {
      detail += (detail.empty() ? ": " : "; ") + e.value("code", std::string("?")) + " " +
                e.value("message", std::string());
    }
  } catch (const nlohmann::json::exception&) {
    detail.clear();
  }
  if (detail.empty() && !r.error_body.empty()) detail = ": " + r.error_body.substr(0, 512);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  switch (r.status) {
    case 400:
      return invalid_argument(where + detail);
    case 401:
      return Status(Code::kUnauthenticated, where + " (credentials missing or refused)" + detail);
    case 403:
      return permission_denied(where + detail);
    case 404:
      return not_found(where + detail);
    default:
      if (r.status == 429 || r.status >= 500) return unavailable(where + detail);
      return failed_precondition(where + detail);
  }
}

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

CurlEasy::CurlEasy(const registry::RegistryHost& host) : host_(host) {
  global_init();
  curl_.reset(curl_easy_init());
}

Result<Response> CurlEasy::perform(const Request& request) {
  if (!curl_) return internal("libcurl could not make a handle");
  CURL* c = curl_.get();
  curl_easy_reset(c);
  Transfer transfer;
  transfer.curl = c;
  transfer.sink = request.sink;
  transfer.body = request.body;
  const std::string& method = request.method;
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  if (method == "GET" || method == "HEAD") {
    // A request with a body is not followed: curl would have to send it
    // again, and a 301 or 302 turns a POST into a GET. Registries name where
    // an upload goes with Location in a 202 instead.
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  }
  const curl_off_t length = request.body != nullptr ? request.body->length : 0;
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, length);
  } else if (method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, length);
    if (method == "PATCH") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
  } else if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &transfer);
  }
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A registry that stops sending mid-answer would otherwise hold the
  // transfer (and its ingest ref) forever: under 1 byte/s for 30 s is a
  // broken connection, retried or resumed like any other.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  // Blobs arrive in callbacks of at most this size: curl's default of
  // 16 KiB means a write, a hash update and a progress report per 16 KiB
  // (measured: a 193 MiB pull spent most of its download time there).
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 1L << 20);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "berth");
  if (host_.skip_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!host_.ca_files.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, host_.ca_files.front().c_str());
  if (!host_.client_certs.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, host_.client_certs.front().first.c_str());
    if (!host_.client_certs.front().second.empty())
      curl_easy_setopt(c, CURLOPT_SSLKEY, host_.client_certs.front().second.c_str());
  }
  curl_slist* list = nullptr;
  for (const auto& h : request.headers) list = curl_slist_append(list, h.c_str());
  // Without this curl waits up to a second for "100 Continue" before a body.
  if (request.body != nullptr) list = curl_slist_append(list, "Expect:");
  for (const auto& [name, values] : host_.headers) {
    for (const auto& v : values) list = curl_slist_append(list, (name + ": " + v).c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list, curl_slist_free_all);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char* data, std::size_t size, std::size_t n, void* user) -> std::size_t {
        auto* t = static_cast<Transfer*>(user);
        const std::size_t len = size * n;
        long status = 0;
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 400) {
          // An error's body is read for its message, up to a bound.
          auto& body = t->response.error_body;
          if (body.size() < kMaxErrorBody) body.append(data, std::min(len, kMaxErrorBody - body.size()));
          return len;
        }
        if (t->sink == nullptr) return len;
        if (Status st = (*t->sink)(std::string_view(data, len)); !st.ok()) {
          t->stopped = std::move(st);
          return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
        }
        return len;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  if (!transfer.stopped.ok()) return transfer.stopped;
  if (rc != CURLE_OK) {
    const std::string what = "registry " + host_.host + ": " + method + " " + request.url + ": " +
                             curl_easy_strerror(rc) +
                             (error[0] != '\0' ? std::string(" (") + error + ")" : "");
    // A certificate this host's settings do not trust is not going to
    // change on a retry: the user must name its CA or skip verification.
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
        rc == CURLE_SSL_CERTPROBLEM) {
      return failed_precondition(
          what +
          "; the registry's TLS certificate is not trusted: give its CA (ca in hosts.toml) "
          "or skip_verify");
    }
    return unavailable(what);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  return std::move(transfer.response);
}

Result<std::string> resolve_url(const std::string& base, const std::string& reference) {
  std::unique_ptr<CURLU, UrlCleanup> u(curl_url());
  if (!u) return internal("libcurl could not make a URL handle");
  // Setting a relative URL on a handle that holds one resolves it.
  if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, reference.c_str(), 0) != CURLUE_OK) {
    return invalid_argument("\"" + reference + "\" is not a URL, nor one relative to " + base);
  }
  char* out = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) {
    return invalid_argument("\"" + reference + "\" does not resolve against " + base);
  }
  std::string url(out);
  curl_free(out);
  return url;
}

Result<std::string> origin_of(const std::string& url) {
  std::unique_ptr<CURLU, UrlCleanup> u(curl_url());
  if (!u) return internal("libcurl could not make a URL handle");
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return invalid_argument("\"" + url + "\" is not an absolute URL");
  std::string origin;
  for (auto [part, flags, sep] : {std::tuple{CURLUPART_SCHEME, 0u, "://"},
                                  {CURLUPART_HOST, 0u, ":"},
                                  {CURLUPART_PORT, static_cast<unsigned>(CURLU_DEFAULT_PORT), ""}}) {
    char* out = nullptr;
    if (curl_url_get(u.get(), part, &out, flags) != CURLUE_OK)
      return invalid_argument("\"" + url + "\" has no scheme, host or port");
    origin += out;
    origin += sep;
    curl_free(out);
  }
  std::transform(origin.begin(), origin.end(), origin.begin(),
                 [](unsigned char ch) { return std::tolower(ch); });
  return origin;
}

std::string escape(std::string_view value) {
  // libcurl ignores the handle argument of curl_easy_escape (since 7.82).
  char* e = curl_easy_escape(nullptr, value.data(), static_cast<int>(value.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
}

}  // namespace berth::distribution
