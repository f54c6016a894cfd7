// The apply engine: a layer blob (maybe compressed) into a directory, with
// every path confined to that directory (see safe_path.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "berth/diff.hpp"
#include "berth/status.hpp"
#include "byte_source.hpp"
#include "decompress.hpp"

namespace berth::diff {

enum class WhiteoutMode {
  // The target is an overlay upperdir: whiteouts become 0:0 character
  // devices and opaque directories get trusted.overlay.opaque=y, so the
  // lower layers stay untouched and are hidden by the overlay.
  kOverlay,
  // The target is the whole merged tree: whiteouts delete.
  kDelete,
};

struct ApplyOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kDelete;
  // kOverlay only: the snapshot's lower layers, nearest first. A hardlink to
  // a file that only a lower layer holds copies that file up into the target
  // first (what overlayfs itself would do on write), as containerd does.
  std::vector<std::filesystem::path> lower_dirs;
  // The expected sha256 of the uncompressed tar; "" to skip the check.
  std::string expected_diff_id;
  // Bounds on one apply: bytes of the uncompressed tar and tar entries (the
  // walking differ's max_apply_bytes and max_apply_entries). 0: no bound,
  // as berth-apply-layer runs it.
  int64_t max_bytes = 0;
  int64_t max_entries = 0;
  // Asked before each entry and each chunk of the tar; see berth::CancelCheck.
  CancelCheck cancelled;
};

struct ApplyResult {
  std::string diff_id;  // sha256 of the uncompressed tar, every byte of it
  int64_t size = 0;     // uncompressed size
};

// Applies the layer read from `blob` into `target`. The whole stream is read
// and hashed; a diffID other than options.expected_diff_id is
// FailedPrecondition. An entry whose name cannot exist (a component over
// NAME_MAX, a path over PATH_MAX) is InvalidArgument naming it; a layer over
// a bound is ResourceExhausted naming the bound. Whatever fails (those, a
// cancel, a bad entry, a wrong diffID), the entries the apply created are
// removed again before it returns (see undo_log.hpp for what that restores).
Result<ApplyResult> apply_layer(ByteSource& blob, Compression compression,
                                const std::filesystem::path& target, const ApplyOptions& options);

// The same from a media type (Unimplemented for an unknown one).
Result<ApplyResult> apply_layer(ByteSource& blob, std::string_view media_type,
                                const std::filesystem::path& target, const ApplyOptions& options);

}  // namespace berth::diff
