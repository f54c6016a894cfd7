// Compare: the layer that turns the tree `lower` into the tree `upper`
// (containerd's walking differ: both trees walked together in name order).
//
// A regular file counts as unchanged when type, mode, owner, size, xattrs
// and mtime (to the nanosecond) all match. When the mtime has no sub-second
// part (a file system or a tar extraction with whole-second times) equal
// metadata proves little, so the contents are compared too. Directories are
// compared on mode, owner and xattrs (their mtime moves with every child);
// the parents of every change are written too, so their times carry over.
// Deletions become ".wh.<name>" entries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "berth/status.hpp"
#include "byte_source.hpp"
#include "decompress.hpp"

namespace berth::diff {

struct DiffResult {
  std::string uncompressed_digest;  // the diffID
  int64_t uncompressed_size = 0;
};

// Writes the pax tar of the changes, compressed with `compression`, to `out`.
Result<DiffResult> write_diff(const std::filesystem::path& lower, const std::filesystem::path& upper,
                              Compression compression, ByteSink& out);

}  // namespace berth::diff
