// Reading and writing through file descriptors, riding out EINTR and short
// transfers. Every failure is a Status naming the operation and the path
// ("write /x/data: No space left on device"). The fd type is the SDK's
// berth::UniqueFd.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::files {

// openat(2) with O_CLOEXEC, retried on EINTR. `dirfd` may be AT_FDCWD; the
// path is only for messages when `name` is relative to a directory fd.
Result<UniqueFd> open_at(int dirfd, const std::filesystem::path& name, int flags, mode_t mode = 0);
inline Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, mode_t mode = 0) {
  return open_at(AT_FDCWD, path, flags, mode);
}

Result<struct stat> stat_fd(int fd, const std::filesystem::path& path);

// Writes all of `data` at the fd's position. `path` names the file in errors.
Status write_all(int fd, std::string_view data, const std::filesystem::path& path);
// Writes all of `data` at `offset`. `written`, when given, holds how much
// reached the file, also when it fails part way.
Status pwrite_all(int fd, std::string_view data, int64_t offset, const std::filesystem::path& path,
                  std::size_t* written = nullptr);
// Writes all of `pieces`, one after the other, at `offset` with as few
// pwritev(2) calls as the kernel allows (IOV_MAX pieces each): data received
// in several buffers reaches the file without being joined first. `written`
// as for pwrite_all.
Status pwritev_all(int fd, std::span<const std::string_view> pieces, int64_t offset,
                   const std::filesystem::path& path, std::size_t* written = nullptr);
// Reads up to `len` bytes from the fd's position (a pipe, say): fewer only
// at the end of input.
Result<std::size_t> read_full(int fd, char* buf, std::size_t len, const std::filesystem::path& path);
// Reads up to `len` bytes at `offset`: fewer only at the end of the file.
Result<std::size_t> pread_full(int fd, char* buf, std::size_t len, int64_t offset,
                               const std::filesystem::path& path);

// A whole file, read through its fd until EOF. NotFound when it is absent.
// `max` bounds what a corrupt or hostile file can make us allocate:
// OutOfRange beyond it.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max = 64u << 20);

}  // namespace berth::files
