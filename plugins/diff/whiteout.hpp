// OCI layer whiteouts: ".wh.<name>" deletes <name> from lower layers,
// ".wh..wh..opq" hides every lower entry of its directory.
#pragma once

#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth::diff {

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";
// Other ".wh..wh." names are aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs),
// never content; they are skipped.
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";

enum class WhiteoutKind { kNone, kDelete, kOpaque, kIgnore };

struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::kNone;
  std::string target;  // the name deleted, for kDelete
};

// Classifies a base name. InvalidArgument for a whiteout naming "", "." or
// ".." (".wh..", ".wh..."), which would delete the directory itself or its
// parent.
Result<Whiteout> parse_whiteout(std::string_view base);

}  // namespace berth::diff
