// Reads tar entries (ustar, pax, GNU) from an uncompressed stream, using
// libarchive only as the format parser: decompression and hashing happen
// before it, in our own stream, so the diffID covers exactly the bytes the
// layer holds.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "berth/status.hpp"
#include "decompress.hpp"
#include "tar_entry.hpp"

struct archive;

namespace berth::diff {

class TarReader {
 public:
  explicit TarReader(ChunkStream& stream);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next entry into `entry`; false at the end of the archive.
  Result<bool> next(TarEntry& entry);
  // Hands the current regular file's content to `fn` in pieces with their
  // offsets (sparse files skip ranges).
  Status read_data(const std::function<Status(int64_t offset, std::string_view data)>& fn);

 private:
  static long read_callback(struct archive* a, void* self, const void** buf);
  Status archive_error(std::string_view what) const;

  ChunkStream& stream_;
  struct archive* archive_ = nullptr;
  Status stream_error_;  // why the stream failed, when libarchive reports a read error
  bool opened_ = false;
};

}  // namespace berth::diff
