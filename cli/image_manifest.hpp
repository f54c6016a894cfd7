// An image's manifest for one platform and what its config says about it,
// read through the Content API as `ctr images check`, `mount` and `usage`
// read them: the platform's manifest of an index (or the manifest itself),
// its config, and the chain IDs that name the unpacked image's snapshots.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "client.hpp"
#include "github.com/containerd/containerd/api/types/descriptor.pb.h"
#include "oci/oci.hpp"
#include "platforms/platforms.hpp"

namespace berth::cli {

Descriptor from_pb(const containerd::types::Descriptor& d);

struct PlatformManifest {
  Descriptor descriptor;  // the manifest's own
  oci::Manifest manifest;
};

// The manifest of `target` for `platform`: an index's best match, or
// `target` itself when it is a manifest. A blob that cannot be read is
// reported as "index missing: ..." or "manifest missing: ..." with the
// Content API's code; an index with nothing for the platform is NOT_FOUND
// "no manifest for linux/amd64"; a malformed document INVALID_ARGUMENT.
grpc::Status platform_manifest(Client& client, const Descriptor& target, const platforms::Platform& platform,
                               PlatformManifest& out);

// The image config `manifest` names, read and parsed.
grpc::Status image_config(Client& client, const oci::Manifest& manifest, oci::ImageConfig& out);

// The chain IDs of the config's layers, bottom first: the last names the
// snapshot of the whole unpacked image. Empty for an image without layers.
grpc::Status chain_ids(const oci::ImageConfig& config, std::vector<std::string>& out);

struct ResolvedImage {
  PlatformManifest manifest;
  oci::ImageConfig config;
  std::vector<std::string> chain;  // one chain ID a layer, bottom first
};

// The image `name` (Images/Get), its manifest for `platform`, config and
// chain IDs. A lone manifest whose config is for another platform is
// refused, as containerd's images.Manifest refuses it. NOT_FOUND from
// Images/Get is passed through unchanged, so callers can tell a missing
// image from a broken one.
grpc::Status resolve_image(Client& client, const std::string& name, const platforms::Platform& platform,
                           ResolvedImage& out);
// The same from the image record's target, for a caller that has the record.
grpc::Status resolve_target(Client& client, const Descriptor& target, const platforms::Platform& platform,
                            ResolvedImage& out);

}  // namespace berth::cli
