// Directories: creating, flushing and removing them.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "berth/status.hpp"

namespace berth::files {

// fsync(2) of a directory, so the names created or renamed in it are durable.
Status fsync_dir(const std::filesystem::path& dir);
// mkdir(2); an existing directory is an error unless `exist_ok`.
Status make_dir(const std::filesystem::path& dir, mode_t mode, bool exist_ok = false);
// mkdir -p.
Status make_dirs(const std::filesystem::path& dir);
// Removes `path` and everything under it, not following symlinks; an absent
// path is not an error.
Status remove_tree(const std::filesystem::path& path);

}  // namespace berth::files
