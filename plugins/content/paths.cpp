#include "paths.hpp"

#include "digester.hpp"

namespace berth::content {

Layout::Layout(std::filesystem::path root)
    : root_(std::move(root)), blobs_dir_(root_ / "blobs" / "sha256"), ingest_root_(root_ / "ingest") {}

std::filesystem::path Layout::blob_path(std::string_view digest) const {
  return blobs_dir_ / digest.substr(kSha256Prefix.size());
}

Result<std::filesystem::path> Layout::ingest_dir(std::string_view ref) const {
  auto hex = sha256_hex(ref);
  if (!hex.ok())
    return hex.status().with_context("name the ingest directory of ref \"" + std::string(ref) + "\"");
  return ingest_root_ / *hex;
}

bool is_sha256_hex(std::string_view name) {
  if (name.size() != 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace berth::content
