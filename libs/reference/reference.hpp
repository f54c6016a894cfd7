// Image references ("busybox", "ghcr.io/org/app:1.2@sha256:...") in the
// grammar docker and containerd share, normalized as containerd does: a
// reference without a registry is on docker.io, a single-component name
// there lives under library/, and a reference naming neither a tag nor a
// digest means the tag "latest".
#pragma once

#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::reference {

inline constexpr std::string_view kDockerDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";
// The longest name (domain/path) a registry accepts.
inline constexpr std::size_t kNameMaxLength = 255;
// The longest tag: one word character then up to 127 of [A-Za-z0-9_.-].
inline constexpr std::size_t kTagMaxLength = 128;

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // may be empty when a digest is given
  std::string digest;  // "sha256:<64 hex>" or empty

  // "docker.io/library/busybox:latest", with "@digest" when there is one.
  [[nodiscard]] std::string string() const;
  // "docker.io/library/busybox": domain/path, no tag or digest.
  [[nodiscard]] std::string name() const;

  bool operator==(const Reference&) const = default;
};

// Parses and normalizes `text`. InvalidArgument names the reference and
// what is wrong with it (uppercase in the repository name, a bad tag, a
// digest that is not sha256 with 64 lowercase hex, ...).
Result<Reference> parse_normalized(std::string_view text);

// The short form people type and `docker images` shows:
// docker.io/library/busybox:latest -> busybox:latest,
// docker.io/user/x -> user/x; other registries keep their domain.
std::string familiar(const Reference& ref);

// The host to contact for a reference's domain: docker.io's registry API
// is served by registry-1.docker.io; every other domain is its own host.
std::string registry_host(const Reference& ref);

}  // namespace berth::reference
