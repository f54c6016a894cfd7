#include "tar_reader.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <string>

namespace berth::diff {

TarReader::TarReader(ChunkStream& stream) : stream_(stream), archive_(archive_read_new()) {
  // Only the tar formats and no filter: the bytes are already decompressed.
  archive_read_support_format_tar(archive_);
  archive_read_support_filter_none(archive_);
}

TarReader::~TarReader() { archive_read_free(archive_); }

long TarReader::read_callback(struct archive* a, void* self, const void** buf) {
  auto* reader = static_cast<TarReader*>(self);
  auto chunk = reader->stream_.next();
  if (!chunk.ok()) {
    reader->stream_error_ = chunk.status();
    archive_set_error(a, EIO, "%s", chunk.status().message().c_str());
    return -1;
  }
  *buf = chunk->data();
  return static_cast<long>(chunk->size());
}

Status TarReader::archive_error(std::string_view what) const {
  if (!stream_error_.ok()) return stream_error_.with_context(what);
  const char* msg = archive_error_string(archive_);
  return data_loss(std::string(what) + ": " + (msg != nullptr ? msg : "malformed tar archive"));
}

Result<bool> TarReader::next(TarEntry& entry) {
  if (!opened_) {
    if (archive_read_open(archive_, this, nullptr, &TarReader::read_callback, nullptr) != ARCHIVE_OK) {
      return archive_error("open the layer tar");
    }
    opened_ = true;
  }
  struct archive_entry* e = nullptr;
  const int rc = archive_read_next_header(archive_, &e);
  if (rc == ARCHIVE_EOF) return false;
  // ARCHIVE_WARN is a name libarchive could not convert to the locale's
  // character set; the bytes are still there and are what we want.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return archive_error("read a tar header");

  const char* path = archive_entry_pathname(e);
  if (path == nullptr) path = archive_entry_pathname_utf8(e);
  if (path == nullptr) return data_loss("tar entry without a name");
  entry = TarEntry{};
  entry.path = path;
  entry.mode = archive_entry_mode(e) & 07777;
  entry.uid = static_cast<uint32_t>(archive_entry_uid(e));
  entry.gid = static_cast<uint32_t>(archive_entry_gid(e));
  entry.size = archive_entry_size(e);
  entry.mtime = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  if (archive_entry_atime_is_set(e) != 0) {
    entry.has_atime = true;
    entry.atime = {archive_entry_atime(e), archive_entry_atime_nsec(e)};
  }
  if (const char* hard = archive_entry_hardlink(e); hard != nullptr) {
    entry.type = EntryType::kHardlink;
    entry.link = hard;
  } else {
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        entry.type = EntryType::kRegular;
        break;
      case AE_IFDIR:
        entry.type = EntryType::kDirectory;
        break;
      case AE_IFLNK: {
        entry.type = EntryType::kSymlink;
        const char* target = archive_entry_symlink(e);
        entry.link = target != nullptr ? target : "";
        break;
      }
      case AE_IFCHR:
        entry.type = EntryType::kCharDevice;
        break;
      case AE_IFBLK:
        entry.type = EntryType::kBlockDevice;
        break;
      case AE_IFIFO:
        entry.type = EntryType::kFifo;
        break;
      default:
        return invalid_argument("tar entry " + entry.path + " has an unsupported file type");
    }
  }
  if (entry.type == EntryType::kCharDevice || entry.type == EntryType::kBlockDevice) {
    entry.dev_major = static_cast<uint32_t>(archive_entry_rdevmajor(e));
    entry.dev_minor = static_cast<uint32_t>(archive_entry_rdevminor(e));
  }
  if (archive_entry_xattr_reset(e) > 0) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      entry.xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
    }
  }
  return true;
}

Status TarReader::read_data(const std::function<Status(int64_t offset, std::string_view data)>& fn) {
  for (;;) {
    const void* buf = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    const int rc = archive_read_data_block(archive_, &buf, &size, &offset);
    if (rc == ARCHIVE_EOF) return {};
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return archive_error("read file content");
    if (size > 0) BERTH_RETURN_IF_ERROR(fn(offset, std::string_view(static_cast<const char*>(buf), size)));
  }
}

}  // namespace berth::diff
