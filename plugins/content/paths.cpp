#include "paths.hpp"

#include "digest/digest.hpp"
#include "digest/sha256.hpp"

namespace berth::content {

Layout::Layout(std::filesystem::path root)
    : root_(std::move(root)), blobs_dir_(root_ / "blobs" / "sha256"), ingest_root_(root_ / "ingest") {}

std::filesystem::path Layout::blob_path(std::string_view digest) const {
  return blobs_dir_ / digest.substr(digest::kSha256Prefix.size());
}

Result<std::filesystem::path> Layout::ingest_dir(std::string_view ref) const {
  auto hex = digest::sha256_hex(ref);
  if (!hex.ok())
    return hex.status().with_context("name the ingest directory of ref \"" + std::string(ref) + "\"");
  return ingest_root_ / *hex;
}

}  // namespace berth::content
