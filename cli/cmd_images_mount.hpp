// `berth images mount`, `unmount` and `usage`: an unpacked image's root
// filesystem mounted on a directory of this host under a lease named for
// that directory, as `ctr images mount` does, and what an image takes up in
// the content store and the snapshotter.
#pragma once

#include "command.hpp"

namespace berth::cli {

Command images_mount_command();
Command images_unmount_command();
Command images_usage_command();

}  // namespace berth::cli
