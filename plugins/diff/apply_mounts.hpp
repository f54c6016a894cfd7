// Which mounts a layer may be applied onto, checked before anything is read,
// mounted or written. A layer goes into an active snapshot's mounts as the
// snapshotters hand them out: an overlay with an upperdir, or a writable
// bind mount. Anything else has no sensible meaning for an apply and is
// refused with InvalidArgument saying why: no mounts at all (which used to
// write the layer into the differ's own state directory), a mount with a
// target below the mount point, a type that would mount something else
// (tmpfs keeps nothing, proc and sysfs are the kernel's), a read-only mount
// (a view), relative paths, paths that cannot be resolved (a symlink loop, a
// name too long), a NUL byte anywhere (the kernel would read a shorter path
// than the one checked), overlay options the kernel would read otherwise
// (a comma in a value, an upperdir given twice), and paths inside the
// differ's own directories. A directory the mounts name (bind source,
// upperdir, workdir, lowerdirs) that does not exist is NotFound. Every
// message names the mount ("mount 1 (type "bind", source "/x")") and the path.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "berth/mount.hpp"
#include "berth/status.hpp"

namespace berth::diff {

// Whether `m` lists the mount(8) option `word` ("ro", "rbind").
bool has_mount_option(const Mount& m, std::string_view word);

// A bind mount by type ("bind", "rbind") or by option ("bind", "rbind").
bool is_bind_mount(const Mount& m);

// `own_dirs` are the differ's root and state directories (canonical).
Status check_apply_mounts(const std::vector<Mount>& mounts,
                          const std::vector<std::filesystem::path>& own_dirs);

// Internal unless `dir` is the root of a mount: the last guard before the
// layer is written through a temporary mount point in the state directory.
Status check_mount_root(const std::filesystem::path& dir);

}  // namespace berth::diff
