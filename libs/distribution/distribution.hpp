// One registry host's OCI distribution API (v2): a tag or digest resolved to
// the descriptor of its manifest or index, and manifests and blobs fetched by
// digest, each verified against its digest and size while it streams, so a
// registry that lies is caught before anything is committed.
//
// Authentication: anonymous, HTTP basic, or the bearer-token flow the 401's
// WWW-Authenticate names (token cached per scope until it expires); the
// credentials given are this host's, and curl sends no Authorization header
// to another host when it follows a redirect.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auth.hpp"
#include "berth/descriptor.hpp"
#include "berth/status.hpp"
#include "digest/sha256.hpp"
#include "registry-hosts/registry_hosts.hpp"

namespace berth::distribution {

// curl_easy.hpp: kept out of this header, and curl with it.
struct Response;
class CurlEasy;

// Every manifest and index type a pull reads, for the Accept header.
extern const char* const kManifestAccept;

// How often a request is tried when the registry is unavailable (a
// connection error, 429 or a 5xx answer) and how long to wait between tries:
// `first_backoff`, doubled each time.
struct RetryPolicy {
  int attempts = 4;
  std::chrono::milliseconds first_backoff{200};
};

class Client {
 public:
  // `credentials` are this host's: the user's for a registry that asks.
  explicit Client(registry::RegistryHost host, RetryPolicy retry = {},
                  std::optional<Credentials> credentials = std::nullopt);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The manifest or index `reference` (a tag, or "sha256:...") of `repo`
  // ("library/busybox"), and its bytes (at most 4 MiB). The descriptor's
  // digest is computed from the bytes; for a digest reference they must
  // match it. NotFound when the registry has no such manifest.
  Result<std::pair<Descriptor, std::string>> resolve(std::string_view repo, std::string_view reference);

  // Streams blob `desc` of `repo` to `sink`; DataLoss when the registry's
  // bytes are longer or shorter than `desc.size` or hash to another digest
  // (the sink has then seen them: it must not commit before this returns OK).
  // Retried only while the sink has seen nothing: resuming a broken
  // download belongs to the caller, which knows what it kept.
  Status fetch_blob(std::string_view repo, const Descriptor& desc,
                    const std::function<Status(std::string_view)>& sink);

  // Goes on with blob `desc` after its first `offset` bytes, which the caller
  // kept and hashed into `prefix` (a content store ingest has both): an HTTP
  // Range request from `offset`, then the same checks as fetch_blob over the
  // whole blob. FailedPrecondition when the registry ignores the Range (the
  // caller then starts over).
  Status resume_blob(std::string_view repo, const Descriptor& desc, int64_t offset, digest::Sha256 prefix,
                     const std::function<Status(std::string_view)>& sink);

  [[nodiscard]] const registry::RegistryHost& host() const { return host_; }

 private:
  // Runs `attempt` until it is not Unavailable or the tries run out;
  // `may_retry` says whether another try is still possible.
  Status fetch(std::string_view repo, const Descriptor& desc, int64_t offset, digest::Sha256 hash,
               const std::function<Status(std::string_view)>& sink);
  // GET with this host's authorization for `repo`, answering one 401
  // challenge (basic, or a bearer token from its realm) and trying again.
  Result<Response> authorized_get(const std::string& url, const std::vector<std::string>& headers,
                                  const std::function<Status(std::string_view)>& sink, std::string_view repo);
  Status authenticate(const Challenge& challenge, const std::string& scope);
  Status with_retries(const std::function<Status()>& attempt, const std::function<bool()>& may_retry) const;

  registry::RegistryHost host_;
  RetryPolicy retry_;
  std::optional<Credentials> credentials_;
  bool basic_ = false;  // the registry asked for basic authentication
  TokenCache tokens_;
  // One handle for every request, so its connections are reused (a pull
  // fetches many blobs from one host). A Client is for one thread at a time.
  std::unique_ptr<CurlEasy> curl_;
};

}  // namespace berth::distribution
