#include "curl_easy.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

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
  Status stopped;  // why the sink stopped the transfer
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

Result<Response> CurlEasy::get(const std::string& url, const std::vector<std::string>& headers,
                               const std::function<Status(std::string_view)>& sink) {
  if (!curl_) return internal("libcurl could not make a handle");
  CURL* c = curl_.get();
  curl_easy_reset(c);
  Transfer transfer;
  transfer.curl = c;
  transfer.sink = &sink;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
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
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
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
        if (Status st = (*t->sink)(std::string_view(data, len)); !st.ok()) {
          t->stopped = std::move(st);
          return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
        }
        return len;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  const CURLcode rc = curl_easy_perform(c);
  if (!transfer.stopped.ok()) return transfer.stopped;
  if (rc != CURLE_OK) {
    return unavailable("registry " + host_.host + ": GET " + url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  return std::move(transfer.response);
}

}  // namespace berth::distribution
