// What a directory tree uses on disk, as containerd's snapshotters report it.
#pragma once

#include <filesystem>

#include "berth/snapshotter.hpp"

namespace berth::snapshot {

// The blocks (st_blocks * 512) and inodes of `root` and everything under it,
// without following symlinks or crossing into other file systems. A file
// with several hard links inside the tree is counted once.
Result<SnapshotUsage> disk_usage(const std::filesystem::path& root);

}  // namespace berth::snapshot
