// An open directory stream over an fd, closed once.
#pragma once

#include <dirent.h>

#include <filesystem>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::files {

class DirStream {
 public:
  // Takes ownership of `fd` (a directory opened with O_DIRECTORY); `path`
  // names it in errors.
  static Result<DirStream> open(UniqueFd fd, const std::filesystem::path& path);
  // Opens `path` itself.
  static Result<DirStream> open(const std::filesystem::path& path);

  DirStream(DirStream&& other) noexcept;
  DirStream& operator=(DirStream&&) = delete;
  DirStream(const DirStream&) = delete;
  DirStream& operator=(const DirStream&) = delete;
  ~DirStream();

  // The next entry other than "." and "..", nullptr at the end; an error
  // from readdir(3) is a Status. The entry lives until the next call.
  Result<const struct dirent*> next();
  [[nodiscard]] int fd() const { return ::dirfd(dir_); }

 private:
  DirStream(DIR* dir, std::filesystem::path path) : dir_(dir), path_(std::move(path)) {}
  DIR* dir_ = nullptr;
  std::filesystem::path path_;
};

}  // namespace berth::files
