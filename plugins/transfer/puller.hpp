// One pull, start to end: resolve the reference, read the index and the
// chosen platforms' manifests and configs, download the layers in parallel
// (at most `max_downloads` at once) while the unpacker applies them bottom
// first, record the image, all under a lease so nothing is left
// half-referenced.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "berth/diff.hpp"
#include "berth/images.hpp"
#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/namespaced_snapshots.hpp"
#include "berth/transfer.hpp"

namespace berth::transfer {

// What every pull shares: the stores, and the plugin's configuration.
struct PullDeps {
  std::shared_ptr<Metadata> metadata;
  std::shared_ptr<NamespacedContent> content;
  std::shared_ptr<NamespacedSnapshots> snapshots;
  std::shared_ptr<ImageStore> images;
  std::shared_ptr<LeaseStore> leases;
  std::shared_ptr<Differ> differ;  // null: pulls cannot unpack
  std::filesystem::path hosts_dir;
  std::string default_snapshotter;
  int max_downloads = 3;
};

Result<Image> pull_image(const PullDeps& deps, const ContentScope& scope, const PullOptions& options,
                         const ProgressFn& progress, const CancelCheck& cancelled);

}  // namespace berth::transfer
