// Reading a file of an unpacked image as the container would see it: the path
// resolves with the rootfs as "/", so a symlinked /etc/passwd in a hostile
// image cannot make the host read one of its own files.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::runtime_spec {

// The contents of `path` (absolute inside the root) under `root`, through
// openat2(RESOLVE_IN_ROOT). NotFound when it is absent; OutOfRange above `max`.
Result<std::string> read_in_root(const std::filesystem::path& root, std::string_view path,
                                 std::size_t max = 16u << 20);

}  // namespace berth::runtime_spec
