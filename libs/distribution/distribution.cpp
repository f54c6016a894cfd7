#include "distribution.hpp"

#include <thread>

#include "curl_easy.hpp"
#include "digest/sha256.hpp"
#include "oci/oci.hpp"

namespace berth::distribution {

const char* const kManifestAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

namespace {

// The registry's answer as a status: its error body (bounded) is the message.
Status status_of(const Response& r, const registry::RegistryHost& host, const std::string& what) {
  const std::string where = "registry " + host.host + ": " + what + ": HTTP " + std::to_string(r.status);
  const std::string detail = r.error_body.empty() ? "" : ": " + r.error_body.substr(0, 512);
  if (r.status == 404) return not_found(where + detail);
  if (r.status == 401) {
    return Status(
        Code::kUnauthenticated,
        where + " (the registry wants credentials; authentication is not implemented yet)" + detail);
  }
  if (r.status == 403) return permission_denied(where + detail);
  if (r.status == 429 || r.status >= 500) return unavailable(where + detail);
  return failed_precondition(where + detail);
}

bool unavailable_status(const Status& st) { return st.code() == Code::kUnavailable; }

}  // namespace

Status Client::with_retries(const std::function<Status()>& attempt,
                            const std::function<bool()>& may_retry) const {
  auto backoff = retry_.first_backoff;
  for (int i = 1;; ++i) {
    Status st = attempt();
    if (!unavailable_status(st) || i >= retry_.attempts || !may_retry()) return st;
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

Client::Client(registry::RegistryHost host, RetryPolicy retry, std::optional<Credentials> credentials)
    : host_(std::move(host)),
      retry_(retry),
      credentials_(std::move(credentials)),
      curl_(std::make_unique<CurlEasy>(host_)) {}

Client::~Client() = default;

Status Client::authenticate(const Challenge& challenge, const std::string& scope) {
  if (challenge.scheme == "basic") {
    if (!credentials_) {
      return Status(Code::kUnauthenticated,
                    "registry " + host_.host + " asks for credentials (basic) and none were given");
    }
    basic_ = true;
    return {};
  }
  if (challenge.scheme != "bearer") {
    return Status(Code::kUnauthenticated, "registry " + host_.host + " asks for \"" + challenge.scheme +
                                              "\" authentication, which Berth does not speak");
  }
  const auto param = [&](const char* k) {
    auto it = challenge.params.find(k);
    return it == challenge.params.end() ? std::string() : it->second;
  };
  std::string url = param("realm");
  const std::string want_scope = param("scope").empty() ? scope : param("scope");
  std::string query;
  for (const auto& [k, v] :
       {std::pair<std::string, std::string>{"service", param("service")}, {"scope", want_scope}}) {
    if (v.empty()) continue;
    // libcurl ignores the handle argument of curl_easy_escape (since 7.82).
    char* e = curl_easy_escape(nullptr, v.c_str(), static_cast<int>(v.size()));
    query += (query.empty() ? "" : "&") + k + "=" + (e != nullptr ? e : "");
    curl_free(e);
  }
  if (!query.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + query;
  std::vector<std::string> headers;
  if (credentials_) headers.push_back("Authorization: " + basic_authorization(*credentials_));
  std::string body;
  auto r = curl_->get(url, headers, [&](std::string_view chunk) -> Status {
    if (body.size() + chunk.size() > (1 << 20))
      return invalid_argument("the token server's answer is over 1 MiB");
    body.append(chunk);
    return {};
  });
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return Status(Code::kUnauthenticated, "token server " + param("realm") + " refused a token for " +
                                              want_scope + ": HTTP " + std::to_string(r->status));
  }
  auto token = parse_token_response(body);
  if (!token.ok()) return token.status();
  tokens_.put(scope, std::move(token->first), token->second);
  return {};
}

Result<Response> Client::authorized_get(const std::string& url, const std::vector<std::string>& headers,
                                        const std::function<Status(std::string_view)>& sink,
                                        std::string_view repo) {
  const std::string scope = "repository:" + std::string(repo) + ":pull";
  for (int round = 0;; ++round) {
    std::vector<std::string> h = headers;
    if (basic_ && credentials_) {
      h.push_back("Authorization: " + basic_authorization(*credentials_));
    } else if (auto token = tokens_.find(scope)) {
      h.push_back("Authorization: Bearer " + *token);
    }
    auto r = curl_->get(url, h, sink);
    if (!r.ok() || r->status != 401 || round == 1) return r;
    auto challenge = parse_challenge(r->header("www-authenticate"));
    if (!challenge.ok()) return r;  // reported as the 401 it is
    BERTH_RETURN_IF_ERROR(authenticate(*challenge, scope));
  }
}

Result<std::pair<Descriptor, std::string>> Client::resolve(std::string_view repo,
                                                           std::string_view reference) {
  const std::string what = "manifest " + std::string(repo) + ":" + std::string(reference);
  const std::string url = host_.api_root() + "/" + std::string(repo) + "/manifests/" + std::string(reference);
  std::string body;
  Response response;
  BERTH_RETURN_IF_ERROR(with_retries(
      [&]() -> Status {
        body.clear();
        auto r = authorized_get(
            url, {kManifestAccept},
            [&](std::string_view chunk) -> Status {
              if (body.size() + chunk.size() > oci::kMaxManifestBytes) {
                return invalid_argument("registry " + host_.host + ": " + what +
                                        " is larger than the 4 MiB a manifest may have");
              }
              body.append(chunk);
              return {};
            },
            repo);
        if (!r.ok()) return r.status();
        if (r->status != 200) return status_of(*r, host_, what);
        response = std::move(*r);
        return {};
      },
      [] { return true; }));
  auto hash = digest::Sha256::create();
  if (!hash.ok()) return hash.status();
  BERTH_RETURN_IF_ERROR(hash->update(body));
  auto digest = hash->digest();
  if (!digest.ok()) return digest.status();
  if (reference.starts_with("sha256:") && *digest != reference) {
    return data_loss("registry " + host_.host + ": " + what + " has digest " + *digest +
                     ", not the one asked for");
  }
  std::string media_type = response.header("content-type");
  if (auto semi = media_type.find(';'); semi != std::string::npos) media_type.resize(semi);
  Descriptor d{media_type, *digest, static_cast<int64_t>(body.size()), {}};
  return std::make_pair(std::move(d), std::move(body));
}

Status Client::fetch_blob(std::string_view repo, const Descriptor& desc,
                          const std::function<Status(std::string_view)>& sink) {
  auto hash = digest::Sha256::create();
  if (!hash.ok()) return hash.status();
  return fetch(repo, desc, 0, std::move(*hash), sink);
}

Status Client::resume_blob(std::string_view repo, const Descriptor& desc, int64_t offset,
                           digest::Sha256 prefix, const std::function<Status(std::string_view)>& sink) {
  if (offset < 0 || offset > desc.size) {
    return invalid_argument("resume blob " + desc.digest + " at " + std::to_string(offset) + ": it has " +
                            std::to_string(desc.size) + " bytes");
  }
  return fetch(repo, desc, offset, std::move(prefix), sink);
}

Status Client::fetch(std::string_view repo, const Descriptor& desc, int64_t offset, digest::Sha256 hash,
                     const std::function<Status(std::string_view)>& sink) {
  const std::string what = "blob " + desc.digest + " of " + std::string(repo);
  const std::string url = host_.api_root() + "/" + std::string(repo) + "/blobs/" + desc.digest;
  std::vector<std::string> headers;
  if (offset > 0) headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
  int64_t received = offset;
  BERTH_RETURN_IF_ERROR(with_retries(
      [&]() -> Status {
        auto r = authorized_get(
            url, headers,
            [&](std::string_view chunk) -> Status {
              received += static_cast<int64_t>(chunk.size());
              if (received > desc.size) {
                return data_loss("registry " + host_.host + ": " + what + " is longer than the " +
                                 std::to_string(desc.size) + " bytes its descriptor says");
              }
              BERTH_RETURN_IF_ERROR(hash.update(chunk));
              return sink(chunk);
            },
            repo);
        if (!r.ok()) return r.status();
        if (offset > 0 && r->status == 200) {
          // The whole blob again, not the rest: some registries ignore
          // Range. Whatever reached the sink is the blob's start, not its
          // rest; the caller must start over.
          return failed_precondition("registry " + host_.host + ": " + what + " ignored the Range request");
        }
        if (r->status != (offset > 0 ? 206 : 200)) return status_of(*r, host_, what);
        return {};
      },
      [&] { return received == offset; }));
  if (received != desc.size) {
    return data_loss("registry " + host_.host + ": " + what + " ended after " + std::to_string(received) +
                     " of the " + std::to_string(desc.size) + " bytes its descriptor says");
  }
  auto got = hash.digest();
  if (!got.ok()) return got.status();
  if (*got != desc.digest) return data_loss("registry " + host_.host + ": " + what + " hashes to " + *got);
  return {};
}

}  // namespace berth::distribution
