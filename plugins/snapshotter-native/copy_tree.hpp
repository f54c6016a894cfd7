// A faithful copy of a directory tree, for snapshots that copy their parent.
#pragma once

#include <filesystem>

#include "berth/status.hpp"

namespace berth::snapshot {

// Copies everything under `src` into the existing, empty directory `dst`,
// then gives `dst` the owner, mode, xattrs and times of `src`. Kept: file
// contents, hard links within the tree (one inode per group), symlinks as
// they are, device nodes, fifos and sockets (recreated), owners, every mode
// bit (setuid, setgid, sticky), all xattrs (user, trusted, security) and
// atime/mtime. A directory's metadata is set after its contents, so copying
// into it cannot change its mtime or be refused by a read-only mode.
Status copy_tree(const std::filesystem::path& src, const std::filesystem::path& dst);

}  // namespace berth::snapshot
