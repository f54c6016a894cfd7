#include "image_manifest.hpp"

#include "blobs.hpp"

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
    if (auto st = read_blob(client, desc.digest, oci::kMaxManifestBytes, json); !st.ok())
      return {st.error_code(), "index missing: " + st.error_message()};
    auto index = oci::parse_index(json, desc);
    if (!index.ok()) return invalid(index.status());
    auto chosen = oci::choose(*index, platform);
    if (chosen.empty())
      return {grpc::StatusCode::NOT_FOUND, "no manifest for " + platforms::format(platform)};
    desc = chosen.front().descriptor;
  }
  if (auto st = read_blob(client, desc.digest, oci::kMaxManifestBytes, json); !st.ok())
    return {st.error_code(), "manifest missing: " + st.error_message()};
  auto manifest = oci::parse_manifest(json, desc);
  if (!manifest.ok()) return invalid(manifest.status());
  out = {std::move(desc), std::move(*manifest)};
  return grpc::Status::OK;
}

grpc::Status image_config(Client& client, const oci::Manifest& manifest, oci::ImageConfig& out) {
  std::string json;
  if (auto st = read_blob(client, manifest.config.digest, oci::kMaxConfigBytes, json); !st.ok())
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

}  // namespace berth::cli
