// One pull, start to end: resolve the reference, read the index and the
// chosen platforms' manifests and configs, download the layers in parallel
// (at most `max_downloads` at once) while the unpacker applies them bottom
// first, record the image, all under a lease so nothing is left
// half-referenced.
#pragma once

#include "berth/transfer.hpp"
#include "transfer_deps.hpp"

namespace berth::transfer {

Result<Image> pull_image(const TransferDeps& deps, const ContentScope& scope, const PullOptions& options,
                         const ProgressFn& progress, const CancelCheck& cancelled);

}  // namespace berth::transfer
