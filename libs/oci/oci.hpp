// Image documents as a pull, an unpack or `images check` reads them: OCI and
// Docker schema 2 manifests, OCI indexes and Docker manifest lists, image
// configs. Each is parsed with a size limit first (manifests and indexes
// 4 MiB, configs 20 MiB) and checked for what the reader relies on; a
// Docker schema 1 manifest is refused by name. Errors are InvalidArgument
// naming the document and the problem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/descriptor.hpp"
#include "berth/status.hpp"
#include "platforms/platforms.hpp"

namespace berth::oci {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";

inline constexpr std::size_t kMaxManifestBytes = 4u << 20;
inline constexpr std::size_t kMaxConfigBytes = 20u << 20;

bool is_manifest(std::string_view media_type);
bool is_index(std::string_view media_type);

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct IndexEntry {
  Descriptor descriptor;
  std::optional<platforms::Platform> platform;
};

struct Index {
  std::string media_type;
  std::vector<IndexEntry> manifests;
};

// What a container made from the image starts with: the config's "config"
// object (absent fields are empty). A container spec is built from these.
struct ProcessDefaults {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "K=V"
  std::string working_dir;
  std::string user;  // "name", "uid", with an optional ":group" / ":gid"
  std::string stop_signal;
};

struct ImageConfig {
  platforms::Platform platform;
  std::vector<std::string> diff_ids;  // of the layers, bottom first
  ProcessDefaults process;
};

// `json` is the blob `desc` names (its media type says which parse applies).
Result<Manifest> parse_manifest(std::string_view json, const Descriptor& desc);
Result<Index> parse_index(std::string_view json, const Descriptor& desc);
Result<ImageConfig> parse_config(std::string_view json, const Descriptor& desc);

// The chain IDs of a stack of layers: chain(0) = diff_id(0), chain(n) =
// sha256 of "chain(n-1) diff_id(n)". The last names the unpacked image's
// snapshot, as containerd names it.
Result<std::vector<std::string>> chain_ids(const std::vector<std::string>& diff_ids);

// The entries of `index` that run where `want` is asked for, best first
// (platforms::less); entries without a platform are left out.
std::vector<IndexEntry> choose(const Index& index, const platforms::Platform& want);

}  // namespace berth::oci
