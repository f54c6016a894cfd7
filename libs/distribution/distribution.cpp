#include "distribution.hpp"

#include <algorithm>
#include <map>
#include <set>
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

// The token cache's key for a request's scopes.
std::string scope_key(const std::vector<std::string>& scopes) {
  std::string key;
  for (const auto& s : scopes) key += (key.empty() ? "" : " ") + s;
  return key;
}

// Scopes with the actions of each resource merged ("repository:a:push,pull"
// and "repository:a:pull" are "repository:a:pull,push"), sorted, so a
// token request asks for each resource once. A scope not of the
// "type:name:actions" form is kept as it is.
std::vector<std::string> merge_scopes(const std::vector<std::string>& scopes) {
  std::map<std::string, std::set<std::string>> actions;  // "type:name" -> actions
  std::set<std::string> other;
  for (const auto& s : scopes) {
    const auto first = s.find(':');
    const auto last = s.rfind(':');
    if (first == std::string::npos || first == last) {
      other.insert(s);
      continue;
    }
    auto& set = actions[s.substr(0, last)];
    for (std::size_t i = last + 1; i <= s.size();) {
      std::size_t end = s.find(',', i);
      if (end == std::string::npos) end = s.size();
      if (end > i) set.insert(s.substr(i, end - i));
      i = end + 1;
    }
  }
  std::vector<std::string> out(other.begin(), other.end());
  for (const auto& [resource, set] : actions) {
    std::string s = resource + ":";
    for (const auto& a : set) s += (s.back() == ':' ? "" : ",") + a;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end());
  return out;
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
      curl_(std::make_unique<CurlEasy>(host_)) {
  auto origin = origin_of(host_.api_root());
  if (origin.ok()) origin_ = std::move(*origin);
}

std::string pull_scope(std::string_view repo) { return "repository:" + std::string(repo) + ":pull"; }
std::string push_scope(std::string_view repo) { return "repository:" + std::string(repo) + ":pull,push"; }

Client::~Client() = default;

Status Client::authenticate(const Challenge& challenge, const std::vector<std::string>& scopes) {
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
  // What this request needs and what the registry's challenge names (space
  // separated): a mount's challenge may add the source repository. Each is a
  // scope parameter of its own, as the token spec says.
  std::vector<std::string> want = scopes;
  const std::string challenged = param("scope");
  for (std::size_t i = 0; i < challenged.size();) {
    std::size_t end = challenged.find(' ', i);
    if (end == std::string::npos) end = challenged.size();
    if (end > i) want.push_back(challenged.substr(i, end - i));
    i = end + 1;
  }
  want = merge_scopes(want);
  std::string query;
  if (!param("service").empty()) query = "service=" + escape(param("service"));
  for (const auto& s : want) query += (query.empty() ? "" : "&") + std::string("scope=") + escape(s);
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
    std::string named;
    for (const auto& s : want) named += (named.empty() ? "" : " ") + s;
    return Status(Code::kUnauthenticated, "registry " + host_.host + ": token server " + param("realm") +
                                              " refused a token for " + named + ": HTTP " +
                                              std::to_string(r->status));
  }
  auto token = parse_token_response(body);
  if (!token.ok()) return token.status();
  tokens_.put(scope_key(scopes), std::move(token->first), token->second);
  return {};
}

Result<Response> Client::authorized(const Request& request, const std::vector<std::string>& scopes) {
  // Credentials are this host's: an upload's Location may name another.
  auto origin = origin_of(request.url);
  if (!origin.ok() || *origin != origin_) return curl_->perform(request);
  const std::string key = scope_key(scopes);
  for (int round = 0;; ++round) {
    Request r = request;
    if (basic_ && credentials_) {
      r.headers.push_back("Authorization: " + basic_authorization(*credentials_));
    } else if (auto token = tokens_.find(key)) {
      r.headers.push_back("Authorization: Bearer " + *token);
    }
    auto answer = curl_->perform(r);
    if (!answer.ok() || answer->status != 401 || round == 1) return answer;
    auto challenge = parse_challenge(answer->header("www-authenticate"));
    if (!challenge.ok()) return answer;  // reported as the 401 it is
    BERTH_RETURN_IF_ERROR(authenticate(*challenge, scopes));
  }
}

Result<Response> Client::authorized_get(const std::string& url, const std::vector<std::string>& headers,
                                        const std::function<Status(std::string_view)>& sink,
                                        std::string_view repo) {
  return authorized({.method = "GET", .url = url, .headers = headers, .body = nullptr, .sink = &sink},
                    {pull_scope(repo)});
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
  return fetch(repo, desc, 0, &*hash, sink);
}

Status Client::stream_blob(std::string_view repo, const Descriptor& desc, int64_t offset,
                           const std::function<Status(std::string_view)>& sink) {
  if (offset < 0 || offset > desc.size) {
    return invalid_argument("stream blob " + desc.digest + " from " + std::to_string(offset) + ": it has " +
                            std::to_string(desc.size) + " bytes");
  }
  return fetch(repo, desc, offset, nullptr, sink);
}

Status Client::fetch(std::string_view repo, const Descriptor& desc, int64_t offset, digest::Sha256* hash,
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
              if (hash != nullptr) BERTH_RETURN_IF_ERROR(hash->update(chunk));
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
  if (hash == nullptr) return {};
  auto got = hash->digest();
  if (!got.ok()) return got.status();
  if (*got != desc.digest) return data_loss("registry " + host_.host + ": " + what + " hashes to " + *got);
  return {};
}

}  // namespace berth::distribution
