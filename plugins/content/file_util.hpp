// Small POSIX helpers for the store. Every failure comes back as a Status
// naming the operation and the path ("open /x/data: No such file ...").
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "berth/content_store.hpp"
#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::content {

TimestampNs now_ns();
TimestampNs to_ns(const struct timespec& ts);

// `"text"`, for messages naming refs.
std::string quote(std::string_view text);

Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, mode_t mode = 0);
Status fstat_file(int fd, const std::filesystem::path& path, struct stat& st);

// Writes all of `data` at `offset`, riding out short writes and EINTR.
// `written` holds how much reached the file, also when it fails part way.
Status pwrite_all(int fd, std::string_view data, int64_t offset, const std::filesystem::path& path,
                  std::size_t& written);

// Reads `len` bytes at `offset`, or fewer only at the end of the file.
Result<std::size_t> pread_full(int fd, char* buf, std::size_t len, int64_t offset,
                               const std::filesystem::path& path);

// A whole small file. NotFound when it is absent.
Result<std::string> read_small_file(const std::filesystem::path& path);
// Replaces a small file through "<name>.tmp" and rename, so a reader (or a
// restart after kill -9) sees the old content or the new, never a torn mix.
Status write_small_file(const std::filesystem::path& path, std::string_view content);

Status fsync_dir(const std::filesystem::path& dir);
Status make_dirs(const std::filesystem::path& dir);
// Removes `dir` and everything in it; an absent `dir` is not an error.
Status remove_tree(const std::filesystem::path& dir);

}  // namespace berth::content
