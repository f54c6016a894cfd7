// What every transfer of the plugin shares: the stores, and the plugin's
// configuration.
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
#include "transfer_figures.hpp"

namespace berth::transfer {

// The most blobs one transfer moves at once, whatever a caller asks for.
inline constexpr int kMaxConcurrentBlobs = 64;

struct TransferDeps {
  std::shared_ptr<Metadata> metadata;
  std::shared_ptr<NamespacedContent> content;
  std::shared_ptr<NamespacedSnapshots> snapshots;
  std::shared_ptr<ImageStore> images;
  std::shared_ptr<LeaseStore> leases;
  std::shared_ptr<Differ> differ;  // null: pulls cannot unpack
  std::filesystem::path hosts_dir;
  std::string default_snapshotter;
  int max_downloads = 3;
  int max_uploads = 3;
  // Bytes moved, shown by the metrics endpoint; never null.
  std::shared_ptr<TransferFigures> figures = std::make_shared<TransferFigures>();
};

}  // namespace berth::transfer
