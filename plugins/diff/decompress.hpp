// Layer compression: which one a media type names, and streams that turn a
// blob into its uncompressed tar bytes chunk by chunk (never whole in memory).
#pragma once

#include <memory>
#include <string_view>

#include "berth/status.hpp"
#include "byte_source.hpp"

namespace berth::diff {

enum class Compression { kNone, kGzip, kZstd };

// tar, tar+gzip, tar+zstd under their OCI (also nondistributable) and Docker
// names; Docker writes ".gzip"/".zstd" where OCI writes "+gzip"/"+zstd".
// Unimplemented naming the media type for anything else (encrypted layers,
// other suffixes).
Result<Compression> compression_for_media_type(std::string_view media_type);

// Uncompressed bytes in chunks owned by the stream, valid until the next call.
class ChunkStream {
 public:
  virtual ~ChunkStream() = default;
  // The next chunk; empty at the end of the stream.
  virtual Result<std::string_view> next() = 0;
};

// A stream decoding `source` (kept alive by the caller). With kNone the first
// bytes are sniffed: a "tar" blob that is really gzip or zstd is decoded too,
// as Docker and containerd do.
Result<std::unique_ptr<ChunkStream>> open_decompressor(Compression compression, ByteSource& source);

}  // namespace berth::diff
