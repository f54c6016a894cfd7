// Where the local content store keeps things under its root:
//
//   blobs/sha256/<hex>          committed blobs, mode 0444, never partial
//   ingest/<sha256(ref) hex>/   one resumable ingest:
//       data                    the bytes received so far (its size is the offset)
//       ref                     the ref itself
//       total, expected         the size and digest announced, when known
//       startedat, updatedat    nanoseconds since the epoch, as decimal text
//
// Ingest directories are named by a hash of the ref because refs are free
// text: they may hold '/', be long, or be "..". This is containerd's layout.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::content {

inline constexpr std::string_view kDataFile = "data";
inline constexpr std::string_view kRefFile = "ref";
inline constexpr std::string_view kTotalFile = "total";
inline constexpr std::string_view kExpectedFile = "expected";
inline constexpr std::string_view kStartedAtFile = "startedat";
inline constexpr std::string_view kUpdatedAtFile = "updatedat";

class Layout {
 public:
  explicit Layout(std::filesystem::path root);

  [[nodiscard]] const std::filesystem::path& root() const { return root_; }
  [[nodiscard]] const std::filesystem::path& blobs_dir() const { return blobs_dir_; }
  [[nodiscard]] const std::filesystem::path& ingest_root() const { return ingest_root_; }

  // `digest` must already have passed berth::validate_digest.
  [[nodiscard]] std::filesystem::path blob_path(std::string_view digest) const;
  // Fails only if OpenSSL cannot hash (a broken installation).
  [[nodiscard]] Result<std::filesystem::path> ingest_dir(std::string_view ref) const;

 private:
  std::filesystem::path root_;
  std::filesystem::path blobs_dir_;
  std::filesystem::path ingest_root_;
};

}  // namespace berth::content
