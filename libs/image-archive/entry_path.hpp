// Archive entry paths as the importer compares them: "./blobs//sha256/x" and
// "blobs/sha256/x" are one entry, and nothing may leave the archive's root.
#pragma once

#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::image_archive {

// `path` relative to the archive root without ".", empty components or a
// trailing "/"; "" for the root itself. InvalidArgument naming the entry for
// an absolute path or one with a ".." component: a tar that names its way
// out is hostile even where a lexical clean would keep it inside.
Result<std::string> clean_entry_path(std::string_view path);

// Where a symlink at `entry` pointing at `target` leads, relative to the
// archive root; InvalidArgument when it leaves the archive.
Result<std::string> resolve_link(std::string_view entry, std::string_view target);

}  // namespace berth::image_archive
