// One export of images as an OCI image-layout tar: the names resolved
// through the image store, the blobs read from the namespace's content
// (libs/image-archive writes the archive and verifies every blob it copies).
#pragma once

#include "berth/transfer.hpp"
#include "image-archive/blob_io.hpp"
#include "puller.hpp"

namespace berth::transfer {

Status export_image_archive(const TransferDeps& deps, const ContentScope& scope, const ExportOptions& options,
                            const image_archive::ByteSink& sink, const ProgressFn& progress,
                            const CancelCheck& cancelled);

}  // namespace berth::transfer
