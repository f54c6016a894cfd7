#include "progress.hpp"

namespace berth::transfer {

void ProgressReporter::report(const std::string& kind, const std::string& digest, TransferState state,
                              int64_t offset, int64_t total) {
  if (!fn_) return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto [it, fresh] = last_.try_emplace(digest);
  if (!fresh && it->second.state == state &&
      (state == TransferState::kDownloading || state == TransferState::kUploading) && offset < total &&
      now - it->second.at < std::chrono::milliseconds(100))
    return;
  it->second = {state, now};
  fn_(TransferProgress{.kind = kind, .digest = digest, .state = state, .offset = offset, .total = total});
}

}  // namespace berth::transfer
