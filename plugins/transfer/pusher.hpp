// One push, start to end: find the image, walk it from the namespace's
// content (index, manifests, configs and layers) and check every blob is
// there before anything is sent, then send the blobs the repository lacks in
// parallel (at most `max_uploads` at once; mounted from another repository
// of the registry when a source label names one), the manifests after their
// blobs and the root last, and finally record the target repository in the
// blobs' source labels.
#pragma once

#include "berth/transfer.hpp"
#include "transfer_deps.hpp"

namespace berth::transfer {

Result<Descriptor> push_image(const TransferDeps& deps, const ContentScope& scope, const PushOptions& options,
                              const ProgressFn& progress, const CancelCheck& cancelled);

}  // namespace berth::transfer
