// What one pull added to a namespace: the blobs it committed and the
// snapshots it unpacked. A pull that fails takes them back, so a registry
// that lies (a manifest whose digest is wrong, a layer whose diffID is not
// its content) leaves nothing half-made behind. A killed pull leaves them
// under its lease for the next try to find.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "berth/namespaced_content.hpp"
#include "berth/snapshotter.hpp"

namespace berth::transfer {

class PullJournal {
 public:
  void blob(const std::string& digest) {
    std::lock_guard lock(mu_);
    blobs_.push_back(digest);
  }
  void snapshot(const std::string& name) {
    std::lock_guard lock(mu_);
    snapshots_.push_back(name);
  }
  // Removes the snapshots (top first) and then the blobs; best effort, as
  // this runs on the way out of a pull that already failed.
  void roll_back(NamespacedContent& content, const ContentScope& scope, Snapshotter* snapshotter) {
    std::lock_guard lock(mu_);
    if (snapshotter) {
      for (auto it = snapshots_.rbegin(); it != snapshots_.rend(); ++it) (void)snapshotter->remove(*it);
    }
    for (const std::string& d : blobs_) (void)content.remove(scope, d);
    blobs_.clear();
    snapshots_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> blobs_;
  std::vector<std::string> snapshots_;
};

}  // namespace berth::transfer
