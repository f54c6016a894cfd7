// Whether overlayfs can be used where a snapshotter keeps its layers.
#pragma once

#include <filesystem>

#include "berth/status.hpp"

namespace berth::snapshot {

// Mounts a two-layer overlay in a temporary directory under `root` and
// unmounts it. A skip status (Status::skip) when the kernel refuses the
// mount (no overlayfs, or `root` on a file system it cannot stack on, such as
// another overlay); other errors (an unwritable root) as they are.
Status check_overlay_support(const std::filesystem::path& root);

// True when the kernel has the overlay "index" feature, which our mounts
// turn off as containerd does: with index on, a lower layer shared by
// several mounts can make later mounts fail with EBUSY.
bool overlay_has_index_feature();

}  // namespace berth::snapshot
