// One registry host's OCI distribution API (v2): a tag or digest resolved to
// the descriptor of its manifest or index, and manifests and blobs fetched by
// digest, each verified against its digest and size while it streams, so a
// registry that lies is caught before anything is committed.
//
// Anonymous access only so far; a registry asking for credentials gets
// Unauthenticated naming it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "berth/descriptor.hpp"
#include "berth/status.hpp"
#include "registry-hosts/registry_hosts.hpp"

namespace berth::distribution {

// Every manifest and index type a pull reads, for the Accept header.
extern const char* const kManifestAccept;

class Client {
 public:
  explicit Client(registry::RegistryHost host) : host_(std::move(host)) {}

  // The manifest or index `reference` (a tag, or "sha256:...") of `repo`
  // ("library/busybox"), and its bytes (at most 4 MiB). The descriptor's
  // digest is computed from the bytes; for a digest reference they must
  // match it. NotFound when the registry has no such manifest.
  Result<std::pair<Descriptor, std::string>> resolve(std::string_view repo, std::string_view reference);

  // Streams blob `desc` of `repo` to `sink`; DataLoss when the registry's
  // bytes are longer or shorter than `desc.size` or hash to another digest
  // (the sink has then seen them: it must not commit before this returns OK).
  Status fetch_blob(std::string_view repo, const Descriptor& desc,
                    const std::function<Status(std::string_view)>& sink);

  [[nodiscard]] const registry::RegistryHost& host() const { return host_; }

 private:
  registry::RegistryHost host_;
};

}  // namespace berth::distribution
