// One import of an image archive, start to end: every blob streamed into the
// namespace's content through libs/image-archive (verified as it goes),
// containerd's garbage-collection labels on the indexes and manifests, the
// host's (or first asked) platform of each image unpacked, then the image
// records; all under a lease that is dropped at the end, so a failed import
// leaves nothing held and no image recorded.
#pragma once

#include <vector>

#include "berth/images.hpp"
#include "berth/transfer.hpp"
#include "image-archive/blob_io.hpp"
#include "puller.hpp"

namespace berth::transfer {

Result<std::vector<Image>> import_image_archive(const TransferDeps& deps, const ContentScope& scope,
                                                const ImportOptions& options,
                                                const image_archive::ByteSource& source,
                                                const ProgressFn& progress, const CancelCheck& cancelled);

}  // namespace berth::transfer
