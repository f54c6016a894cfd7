// containerd's platforms.Ordered matcher: a platform matches when it equals
// (after normalization) one of a list, and earlier in the list is better.
// Import and export select an index's manifests with it.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "platforms/platforms.hpp"

namespace berth::image_archive {

class PlatformOrder {
 public:
  // Empty: no matcher at all (every platform, no preference).
  explicit PlatformOrder(const std::vector<platforms::Platform>& wanted);
  [[nodiscard]] bool empty() const { return wanted_.empty(); }
  // Position in the list; nullopt when `have` is none of them.
  [[nodiscard]] std::optional<std::size_t> rank(const platforms::Platform& have) const;
  [[nodiscard]] bool matches(const platforms::Platform& have) const { return rank(have).has_value(); }

 private:
  std::vector<platforms::Platform> wanted_;
};

}  // namespace berth::image_archive
