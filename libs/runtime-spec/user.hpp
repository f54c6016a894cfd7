// The process user of a container from an image's USER string, as
// containerd's WithUser + WithAdditionalGIDs resolve it: "" is root; "name"
// or "uid", each with an optional ":group" / ":gid". Names are looked up in
// the rootfs's /etc/passwd and /etc/group (read confined to the rootfs); a
// number is never taken for a name. Supplementary groups are the /etc/group
// entries that list the user's name, with the primary gid first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "berth/status.hpp"

namespace berth::runtime_spec {

struct ProcessUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
};

// runc refuses ids above this, so containerd does too.
inline constexpr uint32_t kMaxId = 0x7fffffff;

// `rootfs` empty: no files are read, so a name is FailedPrecondition and a
// bare uid gets gid 0. Errors: InvalidArgument for a malformed string or an
// id above kMaxId; NotFound naming the user or group and the file.
Result<ProcessUser> resolve_user(std::string_view user, const std::filesystem::path& rootfs);

}  // namespace berth::runtime_spec
