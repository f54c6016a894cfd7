// The container's root filesystem, from the mounts Create names (usually
// one overlay from the snapshotter), mounted on <bundle>/rootfs.
#pragma once

#include <string>
#include <vector>

#include "berth/status.hpp"
#include "github.com/containerd/containerd/api/types/mount.pb.h"

namespace berth::shim {

// Mounts each in order on `target`; on failure, unmounts what it mounted.
Status mount_rootfs(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& mounts,
                    const std::string& target);
// Unmounts everything mounted on `target` (a stack of mounts too). Absent or
// not mounted: nothing to do.
Status unmount_all(const std::string& target);

}  // namespace berth::shim
