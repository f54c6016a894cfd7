// The push half of the distribution API: blobs checked for, mounted across
// repositories, uploaded (monolithic or chunked), and manifests put.
#include <algorithm>
#include <cstring>

#include "curl_easy.hpp"
#include "digest/sha256.hpp"
#include "distribution.hpp"

namespace berth::distribution {
namespace {

std::string with_param(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

// Where the registry says the upload goes on: its Location, resolved
// against the request's URL (registries send both relative and absolute).
Result<std::string> next_location(const Response& r, const std::string& request_url,
                                  const registry::RegistryHost& host, const std::string& what) {
  const std::string location = r.header("location");
  if (location.empty()) {
    return failed_precondition("registry " + host.host + ": " + what + ": HTTP " + std::to_string(r.status) +
                               " without a Location to upload to");
  }
  return resolve_url(request_url, location);
}

// The registry's Docker-Content-Digest, when it sends one, must be ours.
Status check_answer_digest(const Response& r, const registry::RegistryHost& host, const std::string& what,
                           const std::string& want) {
  const std::string got = r.header("docker-content-digest");
  if (!got.empty() && got != want) {
    return data_loss("registry " + host.host + ": " + what + ": the registry stored digest " + got);
  }
  return {};
}

}  // namespace

Result<bool> Client::blob_exists(std::string_view repo, const Descriptor& desc) {
  const std::string what = "check blob " + desc.digest + " in " + std::string(repo);
  const std::string url = host_.api_root() + "/" + std::string(repo) + "/blobs/" + desc.digest;
  bool exists = false;
  BERTH_RETURN_IF_ERROR(with_retries(
      [&]() -> Status {
        auto r = authorized({.method = "HEAD", .url = url}, {push_scope(repo)});
        if (!r.ok()) return r.status();
        if (r->status == 404) {
          exists = false;
          return {};
        }
        if (r->status != 200) return status_of(*r, host_, what);
        const std::string length = r->header("content-length");
        if (!length.empty() && length != std::to_string(desc.size)) {
          return data_loss("registry " + host_.host + ": " + what + ": the registry has " + length +
                           " bytes under that digest, the descriptor says " + std::to_string(desc.size));
        }
        exists = true;
        return {};
      },
      [] { return true; }));
  return exists;
}

Result<bool> Client::mount_blob(std::string_view repo, const Descriptor& desc, std::string_view from_repo) {
  const std::string what =
      "mount blob " + desc.digest + " from " + std::string(from_repo) + " into " + std::string(repo);
  const std::string url = host_.api_root() + "/" + std::string(repo) +
                          "/blobs/uploads/?mount=" + escape(desc.digest) + "&from=" + escape(from_repo);
  const std::vector<std::string> scopes{push_scope(repo), pull_scope(from_repo)};
  bool mounted = false;
  BERTH_RETURN_IF_ERROR(with_retries(
      [&]() -> Status {
        auto r = authorized({.method = "POST", .url = url}, scopes);
        if (!r.ok()) return r.status();
        if (r->status == 201) {
          mounted = true;
          return check_answer_digest(*r, host_, what, desc.digest);
        }
        if (r->status != 202) return status_of(*r, host_, what);
        // Not mounted: the registry opened an upload session instead.
        // Cancelled here, so a caller that mounts only when it can leaves
        // nothing open; a registry that cannot cancel expires it anyway, so
        // a failed DELETE is not this call's failure.
        mounted = false;
        auto location = next_location(*r, url, host_, what);
        if (location.ok()) (void)authorized({.method = "DELETE", .url = *location}, scopes);
        return {};
      },
      [] { return true; }));
  return mounted;
}

Status Client::push_blob(std::string_view repo, const Descriptor& desc, const BlobReader& reader,
                         const UploadOptions& options) {
  if (desc.size < 0 || options.chunk_size <= 0) {
    return invalid_argument("push blob " + desc.digest + " to " + std::string(repo) +
                            ": a negative size or a chunk size below 1");
  }
  // Every try is a new session from the first byte: after a broken request
  // only the registry knows what it kept of it.
  return with_retries([&] { return upload(repo, desc, reader, options); }, [] { return true; });
}

Status Client::upload(std::string_view repo, const Descriptor& desc, const BlobReader& reader,
                      const UploadOptions& options) {
  const std::string what = "push blob " + desc.digest + " to " + std::string(repo);
  const std::vector<std::string> scopes{push_scope(repo)};
  const std::string start = host_.api_root() + "/" + std::string(repo) + "/blobs/uploads/";
  auto r = authorized({.method = "POST", .url = start}, scopes);
  if (!r.ok()) return r.status();
  if (r->status == 404) {
    // The upload route exists for every repository the registry would
    // take: a 404 is a name it refuses (docker-registry: one outside the
    // lowercase grammar of names).
    return not_found(status_of(*r, host_, what).message() +
                     " (the registry does not take pushes to that repository name)");
  }
  if (r->status != 202) return status_of(*r, host_, what);
  auto location = next_location(*r, start, host_, what);
  if (!location.ok()) return location.status();

  // Whatever goes wrong from here leaves a session open: cancel it.
  const auto fail = [&](Status st) {
    (void)authorized({.method = "DELETE", .url = *location}, scopes);
    return st;
  };
  const std::vector<std::string> octets{"Content-Type: application/octet-stream"};
  const bool chunked = desc.size > options.monolithic_max;
  int64_t offset = 0;
  while (chunked && offset < desc.size) {
    const int64_t n = std::min(options.chunk_size, desc.size - offset);
    const std::string range = std::to_string(offset) + "-" + std::to_string(offset + n - 1);
    std::vector<std::string> headers = octets;
    headers.push_back("Content-Range: " + range);
    const Body body{reader, offset, n};
    auto patch = authorized({.method = "PATCH", .url = *location, .headers = headers, .body = &body}, scopes);
    if (!patch.ok()) return fail(patch.status());
    if (patch->status != 202) return fail(status_of(*patch, host_, what + " (bytes " + range + ")"));
    // The registry says what it holds; anything but all we sent so far
    // means bytes went missing, and the digest check would only say so later.
    const std::string held = patch->header("range");
    if (!held.empty() && held != "0-" + std::to_string(offset + n - 1) &&
        held != "bytes=0-" + std::to_string(offset + n - 1)) {
      return fail(failed_precondition("registry " + host_.host + ": " + what + ": after bytes " + range +
                                      " the registry holds " + held));
    }
    auto next = next_location(*patch, *location, host_, what);
    if (!next.ok()) return fail(next.status());
    location = std::move(next);
    offset += n;
  }
  const Body whole{reader, 0, desc.size};
  auto put = authorized({.method = "PUT",
                         .url = with_param(*location, "digest=" + escape(desc.digest)),
                         .headers = octets,
                         .body = chunked ? nullptr : &whole},
                        scopes);
  if (!put.ok()) return fail(put.status());
  if (put->status != 201) return fail(status_of(*put, host_, what));
  return check_answer_digest(*put, host_, what, desc.digest);
}

Status Client::put_manifest(std::string_view repo, std::string_view reference, const Descriptor& desc,
                            std::string_view bytes) {
  const std::string what = "put manifest " + std::string(repo) + ":" + std::string(reference);
  if (desc.media_type.empty()) return invalid_argument(what + ": the descriptor has no media type");
  auto hex = digest::sha256_hex(bytes);
  if (!hex.ok()) return hex.status();
  if (static_cast<int64_t>(bytes.size()) != desc.size || "sha256:" + *hex != desc.digest) {
    return invalid_argument(what + ": its " + std::to_string(bytes.size()) + " bytes (sha256:" + *hex +
                            ") are not those of descriptor " + desc.digest + " (" +
                            std::to_string(desc.size) + " bytes)");
  }
  if (reference.starts_with("sha256:") && reference != desc.digest) {
    return invalid_argument(what + ": a digest reference must be the manifest's digest " + desc.digest);
  }
  const std::string url = host_.api_root() + "/" + std::string(repo) + "/manifests/" + std::string(reference);
  const Body body{[bytes](int64_t offset, char* buf, std::size_t len) -> Result<std::size_t> {
                    const auto o = static_cast<std::size_t>(offset);
                    const std::size_t n = std::min(len, bytes.size() - std::min(o, bytes.size()));
                    std::memcpy(buf, bytes.data() + o, n);
                    return n;
                  },
                  0, desc.size};
  return with_retries(
      [&]() -> Status {
        auto r = authorized(
            {.method = "PUT", .url = url, .headers = {"Content-Type: " + desc.media_type}, .body = &body},
            {push_scope(repo)});
        if (!r.ok()) return r.status();
        if (r->status != 201) return status_of(*r, host_, what);
        return check_answer_digest(*r, host_, what, desc.digest);
      },
      [] { return true; });
}

}  // namespace berth::distribution
