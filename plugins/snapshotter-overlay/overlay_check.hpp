// Whether overlayfs can be used where a snapshotter keeps its layers.
#pragma once

#include <filesystem>
#include <thread>

#include "berth/status.hpp"

namespace berth::snapshot {

// What a passed check leaves running: the unmount and removal of its test
// mount. The answer is known once mount() returns; umount() then waits for
// the kernel (an RCU grace period: 5 to 30 ms on a quiet machine, hundreds
// on a busy one), which start-up need not wait for. Joined when destroyed,
// so nothing is left mounted once the snapshotter is closed.
class OverlayCheckCleanup {
 public:
  OverlayCheckCleanup() = default;
  explicit OverlayCheckCleanup(std::jthread worker) : worker_(std::move(worker)), mounted_(true) {}
  // Whether the check made a test mount (false: its answer was remembered).
  [[nodiscard]] bool mounted() const { return mounted_; }
  // Waits for the unmount (tests, and anything that must see the root clean).
  void wait() {
    if (worker_.joinable()) worker_.join();
  }

 private:
  std::jthread worker_;
  bool mounted_ = false;
};

// Mounts a two-layer overlay in a temporary directory under `root`; the
// unmount and removal run on the returned cleanup's thread. A skip status
// (Status::skip) when the kernel refuses the mount (no overlayfs, or `root`
// on a file system it cannot stack on, such as another overlay); other
// errors (an unwritable root) as they are.
//
// A passed check is remembered in `root`/overlay-check for this boot of this
// kernel and the file system `root` is on, and not repeated while all three
// are the same: a restart does no test mount. A failed one is not remembered.
Result<OverlayCheckCleanup> check_overlay_support(const std::filesystem::path& root);

// True when the kernel has the overlay "index" feature, which our mounts
// turn off as containerd does: with index on, a lower layer shared by
// several mounts can make later mounts fail with EBUSY.
bool overlay_has_index_feature();

}  // namespace berth::snapshot
