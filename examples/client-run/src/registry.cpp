// A registry over the Docker Registry HTTP API v2, anonymously: enough to pull
// from a private registry on the host (Debian's docker-registry). Tokens and
// credentials are out of this example's scope; a 401 says so.
#include <curl/curl.h>
#include <strings.h>

#include <memory>
#include <string>

#include "digest.hpp"
#include "image_source.hpp"

namespace client_run {

namespace {

constexpr const char* kManifestTypes =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Transfer {
  const BlobSink* sink = nullptr;
  Status status;
  std::string content_type;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  if (!transfer->status) return 0;
  transfer->status = (*transfer->sink)({data, size * count});
  return transfer->status ? size * count : 0;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  // A redirect's headers come first; the last response's Content-Type wins.
  if (line.size() > 13 && strncasecmp(line.c_str(), "content-type:", 13) == 0) {
    line.erase(0, 13);
    const auto begin = line.find_first_not_of(" \t");
    const auto end = line.find_first_of(";\r\n", begin);
    transfer->content_type = begin == std::string::npos ? "" : line.substr(begin, end - begin);
  }
  return size * count;
}

class Registry final : public ImageSource {
 public:
  Registry(std::string base, std::string repository, std::string reference)
      : base_(std::move(base)), repository_(std::move(repository)), reference_(std::move(reference)) {}

  Result<Descriptor> root() override {
    std::string body;
    const BlobSink sink = [&](std::string_view piece) -> Status {
      if (body.size() + piece.size() > (4 << 20)) return fail("manifest larger than 4 MiB");
      body.append(piece);
      return {};
    };
    auto type = get("/manifests/" + reference_, kManifestTypes, sink);
    if (!type) return std::unexpected(type.error());
    Descriptor root{*type, sha256_digest(body), static_cast<std::int64_t>(body.size())};
    if (reference_.starts_with("sha256:") && root.digest != reference_)
      return fail("the registry sent a manifest with another digest than " + reference_);
    root_body_ = std::move(body);
    root_digest_ = root.digest;
    return root;
  }

  Status stream(const Descriptor& blob, const BlobSink& sink) override {
    if (blob.digest == root_digest_) return sink(root_body_);
    const bool manifest = blob.media_type.find("manifest") != std::string::npos ||
                          blob.media_type.find("index") != std::string::npos;
    auto type =
        get((manifest ? "/manifests/" : "/blobs/") + blob.digest, manifest ? kManifestTypes : nullptr, sink);
    if (!type) return std::unexpected(type.error());
    return {};
  }

 private:
  // GET base/v2/<repository><path> into `sink`; returns the Content-Type.
  Result<std::string> get(const std::string& path, const char* accept, const BlobSink& sink) {
    const std::string url = base_ + "/v2/" + repository_ + path;
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return fail("curl_easy_init failed");
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    if (accept != nullptr) headers.reset(curl_slist_append(nullptr, accept));
    Transfer transfer{&sink, {}, {}};
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &transfer);
    const CURLcode rc = curl_easy_perform(curl.get());
    if (!transfer.status) return fail("GET " + url + ": " + transfer.status.error());
    if (rc != CURLE_OK) {
      long code = 0;
      curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
      if (code == 401)
        return fail("GET " + url + ": the registry wants credentials; this example pulls anonymously");
      return fail("GET " + url + ": " + curl_easy_strerror(rc));
    }
    return transfer.content_type;
  }

  std::string base_;
  std::string repository_;
  std::string reference_;
  std::string root_body_;
  std::string root_digest_;
};

}  // namespace

Result<std::unique_ptr<ImageSource>> open_registry(const std::string& reference, bool plain_http) {
  const auto slash = reference.find('/');
  if (slash == std::string::npos || slash == 0)
    return fail("image reference " + reference + " names no registry host (want host[:port]/name[:tag])");
  const std::string host = reference.substr(0, slash);
  std::string repository = reference.substr(slash + 1);
  std::string tag = "latest";
  if (const auto at = repository.find('@'); at != std::string::npos) {
    tag = repository.substr(at + 1);
    repository.resize(at);
  } else if (const auto colon = repository.rfind(':');
             colon != std::string::npos && repository.find('/', colon) == std::string::npos) {
    tag = repository.substr(colon + 1);
    repository.resize(colon);
  }
  if (repository.empty() || tag.empty()) return fail("bad image reference " + reference);
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialized) return fail("curl_global_init failed");
  return std::make_unique<Registry>((plain_http ? "http://" : "https://") + host, repository, tag);
}

}  // namespace client_run
