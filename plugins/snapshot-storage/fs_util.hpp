// Small POSIX helpers for the snapshotters. Every failure comes back as a
// Status naming the operation and the path.
#pragma once

#include <dirent.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "berth/content_store.hpp"
#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::snapshot {

TimestampNs now_ns();

// open(2)/openat(2) with O_CLOEXEC, retried on EINTR.
Result<UniqueFd> open_at(int dirfd, const std::filesystem::path& path, int flags, mode_t mode = 0);

// Replaces `path` with `content` so that a reader, or a restart after a
// crash, sees the old file or the new one and never a torn mix: write
// "<path>.tmp", fsync it, rename it over `path`, fsync the directory.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content);
// A whole file; NotFound when it is absent.
Result<std::string> read_file(const std::filesystem::path& path);

Status fsync_dir(const std::filesystem::path& dir);
// mkdir(2); an existing directory is an error unless `exist_ok`.
Status make_dir(const std::filesystem::path& dir, mode_t mode, bool exist_ok = false);
// Removes `path` and everything under it; an absent path is not an error.
Status remove_tree(const std::filesystem::path& path);

// An open directory stream, closed once. Owns the fd it was made from.
class DirStream {
 public:
  static Result<DirStream> open(UniqueFd fd, const std::filesystem::path& path);
  DirStream(DirStream&& other) noexcept;
  DirStream& operator=(DirStream&&) = delete;
  DirStream(const DirStream&) = delete;
  DirStream& operator=(const DirStream&) = delete;
  ~DirStream();

  // The next entry other than "." and "..", nullptr at the end; an error
  // from readdir(3) is a Status.
  Result<const struct dirent*> next();
  [[nodiscard]] int fd() const { return ::dirfd(dir_); }

 private:
  DirStream(DIR* dir, std::filesystem::path path) : dir_(dir), path_(std::move(path)) {}
  DIR* dir_ = nullptr;
  std::filesystem::path path_;
};

}  // namespace berth::snapshot
