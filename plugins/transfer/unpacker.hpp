// Unpacks an image's layers into a snapshotter, bottom first, as containerd
// names them: each layer applied onto an active snapshot
// "extract-<time>-<random> <chainID>" whose parent is the layer below,
// then committed under its chain ID. A layer whose snapshot exists is
// skipped; a layer still downloading is applied as its bytes arrive, and its
// snapshot committed only once the download is verified (its blob's commit
// may still be running: wait for the downloads before label_uncompressed).
#pragma once

#include <string>
#include <vector>

#include "berth/diff.hpp"
#include "berth/snapshotter.hpp"
#include "blob_download.hpp"
#include "growing_blob.hpp"

namespace berth::transfer {

struct UnpackLayer {
  Descriptor blob;
  std::string diff_id;
  std::string chain_id;
  GrowingBlob* download = nullptr;  // null: the blob is committed already
};

// Applies `layers` into `snapshotter`; on an error the layer's active
// snapshot is removed (committed layers stay: they are correct, and a
// retry skips them).
Status unpack(const PullTarget& target, Snapshotter& snapshotter, Differ& differ,
              const std::vector<UnpackLayer>& layers, const CancelCheck& cancelled);

// After a successful unpack, with every blob committed: containerd's
// containerd.io/uncompressed label (the diffID the unpack verified) on each
// layer's blob.
Status label_uncompressed(const PullTarget& target, const std::vector<UnpackLayer>& layers);

}  // namespace berth::transfer
