#include "image-archive/blob_io.hpp"

namespace berth::image_archive {

// Key functions: the vtables live here, once.
BlobWriter::~BlobWriter() = default;
BlobSink::~BlobSink() = default;
BlobSource::~BlobSource() = default;

}  // namespace berth::image_archive
