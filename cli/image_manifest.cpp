#include "image_manifest.hpp"

#include <fmt/format.h>

#include "blobs.hpp"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"

namespace berth::cli {
namespace {

grpc::Status invalid(const berth::Status& st) { return {grpc::StatusCode::INVALID_ARGUMENT, st.message()}; }

}  // namespace

Descriptor from_pb(const containerd::types::Descriptor& d) {
  return {d.media_type(), d.digest(), d.size(), {d.annotations().begin(), d.annotations().end()}};
}

grpc::Status platform_manifest(Client& client, const Descriptor& target, const platforms::Platform& platform,
                               PlatformManifest& out) {
  Descriptor desc = target;
  std::string json;
  if (oci::is_index(desc.media_type)) {
    if (auto st = read_blob(client, desc.digest, desc.size, oci::kMaxManifestBytes, json); !st.ok())
      return {st.error_code(), "index missing: " + st.error_message()};
    auto index = oci::parse_index(json, desc);
    if (!index.ok()) return invalid(index.status());
    auto chosen = oci::choose(*index, platform);
    if (chosen.empty())
      return {grpc::StatusCode::NOT_FOUND, "no manifest for " + platforms::format(platform)};
    desc = chosen.front().descriptor;
  }
  if (auto st = read_blob(client, desc.digest, desc.size, oci::kMaxManifestBytes, json); !st.ok())
    return {st.error_code(), "manifest missing: " + st.error_message()};
  auto manifest = oci::parse_manifest(json, desc);
  if (!manifest.ok()) return invalid(manifest.status());
  out = {std::move(desc), std::move(*manifest)};
  return grpc::Status::OK;
}

grpc::Status image_config(Client& client, const oci::Manifest& manifest, oci::ImageConfig& out) {
  std::string json;
  if (auto st = read_blob(client, manifest.config.digest, manifest.config.size, oci::kMaxConfigBytes, json);
      !st.ok())
    return {st.error_code(), "config missing: " + st.error_message()};
  auto config = oci::parse_config(json, manifest.config);
  if (!config.ok()) return invalid(config.status());
  out = std::move(*config);
  return grpc::Status::OK;
}

grpc::Status chain_ids(const oci::ImageConfig& config, std::vector<std::string>& out) {
  auto chain = oci::chain_ids(config.diff_ids);
  if (!chain.ok()) return invalid(chain.status());
  out = std::move(*chain);
  return grpc::Status::OK;
}

grpc::Status resolve_image(Client& client, const std::string& name, const platforms::Platform& platform,
                           ResolvedImage& out) {
  namespace images = containerd::services::images::v1;
  images::GetImageRequest get;
  get.set_name(name);
  images::GetImageResponse found;
  if (auto st = client.call(&images::Images::Stub::Get, get, &found); !st.ok()) return st;
  return resolve_target(client, from_pb(found.image().target()), platform, out);
}

grpc::Status resolve_target(Client& client, const Descriptor& target, const platforms::Platform& platform,
                            ResolvedImage& out) {
  if (auto st = platform_manifest(client, target, platform, out.manifest); !st.ok()) return st;
  if (auto st = image_config(client, out.manifest.manifest, out.config); !st.ok()) return st;
  if (!out.config.platform.os.empty() && !platforms::matches(platform, out.config.platform)) {
    return {grpc::StatusCode::NOT_FOUND,
            fmt::format("no manifest for {} (the image is for {})", platforms::format(platform),
                        platforms::format(out.config.platform))};
  }
  return chain_ids(out.config, out.chain);
}

}  // namespace berth::cli
