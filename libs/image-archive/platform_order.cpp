#include "platform_order.hpp"

namespace berth::image_archive {

PlatformOrder::PlatformOrder(const std::vector<platforms::Platform>& wanted) {
  wanted_.reserve(wanted.size());
  for (const auto& p : wanted) wanted_.push_back(platforms::normalize(p));
}

std::optional<std::size_t> PlatformOrder::rank(const platforms::Platform& have) const {
  const platforms::Platform normal = platforms::normalize(have);
  for (std::size_t i = 0; i < wanted_.size(); ++i) {
    if (wanted_[i] == normal) return i;
  }
  return std::nullopt;
}

}  // namespace berth::image_archive
