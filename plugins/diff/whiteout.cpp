#include "whiteout.hpp"

namespace berth::diff {

Result<Whiteout> parse_whiteout(std::string_view base) {
  if (base.substr(0, kWhiteoutPrefix.size()) != kWhiteoutPrefix) return Whiteout{};
  if (base == kOpaqueWhiteout) return Whiteout{WhiteoutKind::kOpaque, {}};
  if (base.substr(0, kWhiteoutMetaPrefix.size()) == kWhiteoutMetaPrefix)
    return Whiteout{WhiteoutKind::kIgnore, {}};
  const std::string_view target = base.substr(kWhiteoutPrefix.size());
  if (target.empty() || target == "." || target == ".." || target.find('/') != std::string_view::npos) {
    return invalid_argument("invalid whiteout " + std::string(base) + ": it names no entry of its directory");
  }
  return Whiteout{WhiteoutKind::kDelete, std::string(target)};
}

}  // namespace berth::diff
