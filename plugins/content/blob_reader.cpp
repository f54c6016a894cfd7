#include "blob_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <string>

#include "files/fd_io.hpp"

namespace berth::content {

Result<std::unique_ptr<ContentReader>> BlobReader::open_file(std::filesystem::path path,
                                                             const std::string& what, bool growing) {
  auto fd = files::open_file(path, O_RDONLY);
  if (!fd.ok()) {
    if (fd.status().code() == Code::kNotFound) return not_found(what + ": not found");
    return fd.status();
  }
  auto st = files::stat_fd(fd->get(), path);
  if (!st.ok()) return st.status();
  // Readers mostly stream a blob front to back (the Read API, unpacking):
  // ask for deeper readahead. Only a hint, so its failure does not matter.
  (void)::posix_fadvise(fd->get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<ContentReader>(
      new BlobReader(std::move(path), std::move(*fd), st->st_size, growing));
}

Result<std::unique_ptr<ContentReader>> BlobReader::open(std::filesystem::path path, std::string_view digest) {
  return open_file(std::move(path), "content " + std::string(digest), false);
}

Result<std::unique_ptr<ContentReader>> BlobReader::open_growing(std::filesystem::path path,
                                                                std::string_view ref) {
  return open_file(std::move(path), "ingest ref " + std::string(ref), true);
}

Result<std::size_t> BlobReader::read_at(int64_t offset, char* buf, std::size_t len) {
  if (offset < 0)
    return invalid_argument("read " + path_.string() + ": negative offset " + std::to_string(offset));
  if (offset > size_ && !growing_)
    return out_of_range("read " + path_.string() + ": offset " + std::to_string(offset) +
                        " is past the end (" + std::to_string(size_) + " bytes)");
  return files::pread_full(fd_.get(), buf, len, offset, path_);
}

}  // namespace berth::content
