// One registry host's OCI distribution API (v2): a tag or digest resolved to
// the descriptor of its manifest or index, and manifests and blobs fetched by
// digest, each verified against its digest and size while it streams, so a
// registry that lies is caught before anything is committed; and the other
// way, blobs checked for, mounted from another repository or uploaded
// (push.cpp), and manifests and indexes put under a tag or digest.
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
struct Request;
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

// Reads up to `len` bytes of a blob at `offset` into `buf`: the count, 0 at
// the end. Positional, so an upload the registry broke off can start over: a
// content store's ContentReader is one with
// `[&r](int64_t o, char* b, std::size_t n) { return r.read_at(o, b, n); }`.
// Called from the thread that called push_blob.
using BlobReader = std::function<Result<std::size_t>(int64_t offset, char* buf, std::size_t len)>;

// How push_blob sends a blob: in one PUT up to `monolithic_max` bytes, else
// in PATCH requests of `chunk_size` bytes, then a PUT that ends the upload.
// One request holds a connection as long as it takes; chunks keep a slow
// link's request short and let the registry pace a large blob.
struct UploadOptions {
  int64_t monolithic_max = 32 << 20;
  int64_t chunk_size = 16 << 20;
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

  // Streams blob `desc` of `repo` from byte `offset` on to `sink`, checking
  // its length only: DataLoss when the registry's bytes run longer or
  // shorter than `desc.size`. For a sink that hashes what it keeps and
  // checks the digest itself (a content store ingest does, on commit): each
  // byte is then hashed once, not twice. An offset resumes a download the
  // sink kept the start of, with an HTTP Range request; FailedPrecondition
  // when the registry ignores the Range (the caller then starts over).
  // Retried only while the sink has seen nothing.
  Status stream_blob(std::string_view repo, const Descriptor& desc, int64_t offset,
                     const std::function<Status(std::string_view)>& sink);

  // --- push (push.cpp). Every push request asks for the scope
  // "repository:<repo>:pull,push", so one token serves a whole push.

  // Whether `repo` holds blob `desc` (HEAD): a 404 is false. DataLoss when
  // the registry's Content-Length is not `desc.size`: a digest names one
  // content, so the registry or the descriptor is wrong, and pushing again
  // could not fix either. Retried when the registry is unavailable.
  Result<bool> blob_exists(std::string_view repo, const Descriptor& desc);

  // Mounts blob `desc` of `from_repo` (same host) into `repo` without
  // sending it: true when mounted (201). False when the registry started an
  // upload instead (202: it lacks the blob in `from_repo`, or may not share
  // it); that upload is cancelled (DELETE) so nothing is left open, and
  // push_blob starts its own. The token asked for also holds
  // "repository:<from_repo>:pull". Retried when the registry is unavailable.
  Result<bool> mount_blob(std::string_view repo, const Descriptor& desc, std::string_view from_repo);

  // Uploads blob `desc` to `repo`, its bytes from `reader` (offsets
  // 0..desc.size). The registry checks the digest; the digest its answer
  // names (Docker-Content-Digest, when sent) must be desc.digest, else
  // DataLoss; so is a reader that ends before desc.size. InvalidArgument when
  // the registry refuses the bytes (DIGEST_INVALID: they are not `desc`);
  // NotFound when it takes no upload for that repository name
  // (docker-registry: a name outside the lowercase grammar).
  // When the registry is unavailable the upload starts over from the first
  // byte with a new session (an upload session's state after a broken
  // request is the registry's), as RetryPolicy allows.
  Status push_blob(std::string_view repo, const Descriptor& desc, const BlobReader& reader,
                   const UploadOptions& options = {});

  // Puts manifest or index `bytes` (described by `desc`: its media type is
  // the Content-Type) into `repo` as `reference`, a tag or desc.digest.
  // InvalidArgument when `bytes` are not `desc` or when the registry refuses
  // them (a blob or manifest they name is not in `repo`: push those first).
  // Retried when the registry is unavailable.
  Status put_manifest(std::string_view repo, std::string_view reference, const Descriptor& desc,
                      std::string_view bytes);

  [[nodiscard]] const registry::RegistryHost& host() const { return host_; }

 private:
  // Runs `attempt` until it is not Unavailable or the tries run out;
  // `may_retry` says whether another try is still possible.
  // `hash` null: the length is checked, the digest left to the sink.
  Status fetch(std::string_view repo, const Descriptor& desc, int64_t offset, digest::Sha256* hash,
               const std::function<Status(std::string_view)>& sink);
  // `request` with this host's authorization for `scopes`, answering one
  // 401 challenge (basic, or a bearer token from its realm for `scopes` and
  // the challenge's) and trying again. A URL of another origin (a Location
  // header may name one) gets no credentials.
  Result<Response> authorized(const Request& request, const std::vector<std::string>& scopes);
  Result<Response> authorized_get(const std::string& url, const std::vector<std::string>& headers,
                                  const std::function<Status(std::string_view)>& sink, std::string_view repo);
  Status authenticate(const Challenge& challenge, const std::vector<std::string>& scopes);
  // One try of push_blob: a new upload session, then its bytes.
  Status upload(std::string_view repo, const Descriptor& desc, const BlobReader& reader,
                const UploadOptions& options);
  Status with_retries(const std::function<Status()>& attempt, const std::function<bool()>& may_retry) const;

  registry::RegistryHost host_;
  RetryPolicy retry_;
  std::optional<Credentials> credentials_;
  bool basic_ = false;  // the registry asked for basic authentication
  TokenCache tokens_;
  // One handle for every request, so its connections are reused (a pull
  // fetches many blobs from one host). A Client is for one thread at a time.
  std::unique_ptr<CurlEasy> curl_;
  std::string origin_;  // of the API root: where credentials may go
};

// "repository:<repo>:pull" and "repository:<repo>:pull,push".
std::string pull_scope(std::string_view repo);
std::string push_scope(std::string_view repo);

}  // namespace berth::distribution
