// Replacing a small file whole, so that a reader, or a restart after a
// crash, sees the old content or the new and never a torn mix.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "berth/status.hpp"

namespace berth::files {

enum class Durability {
  // fsync the file before the rename and the directory after it: once this
  // returns, the new content survives a power cut. For records that must not
  // go back in time (snapshot records, the server UUID).
  kDurable,
  // Atomic but not flushed: after a power cut the file may hold the old
  // content. For records that can be rebuilt or are checked on use (an
  // ingest's timestamps and expected size, re-verified against its data).
  kAtomicOnly,
};

// Writes "<path>.tmp" (mode `mode`), then renames it over `path`. The
// temporary file is removed when any step fails.
Status replace_file(const std::filesystem::path& path, std::string_view content, Durability durability,
                    mode_t mode = 0644);

}  // namespace berth::files
