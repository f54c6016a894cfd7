// Where an image archive's bytes come from and where its blobs go. Kept free
// of any store so an archive can be read from a gRPC stream or a file and its
// blobs written into a content store, memory, or nowhere; an adapter over the
// SDK's NamespacedWriter / ContentReader is a few lines (see each class).
//
// Threading: an import or export uses its source, sink and writers from the
// calling thread only, one writer at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "berth/content_store.hpp"
#include "berth/descriptor.hpp"
#include "berth/status.hpp"

namespace berth::image_archive {

// Fills `buf` with up to `len` bytes of the archive; 0 at the end. An error
// ends the import with that status.
using ByteSource = std::function<Result<std::size_t>(char* buf, std::size_t len)>;

// Takes the next bytes of an exported archive, in order.
using ByteSink = std::function<Status(std::string_view bytes)>;

// One blob being written. Destroyed without a successful commit() it must
// abort (discard) what it was given: the importer drops a writer whose bytes
// did not hash to the digest the archive claims, so nothing unverified is
// ever committed. A NamespacedWriter adapter: write() forwards, commit()
// calls commit(verified.size, verified.digest) and treats AlreadyExists as
// success, the destructor calls NamespacedContent::abort on its ref.
class BlobWriter {
 public:
  virtual ~BlobWriter();
  virtual Status write(std::string_view data) = 0;
  // Called once, after every byte, with the digest and size the importer
  // computed and checked (media type set when the archive says it).
  virtual Status commit(const Descriptor& verified) = 0;
};

class BlobSink {
 public:
  virtual ~BlobSink();
  // Opens an ingest for the blob archive entry `entry` (its path in the tar,
  // or "manifest-sha256:..." for a document the importer makes; unique within
  // an import, so usable in an ingest ref as containerd's "tar-<entry>").
  // `expected_digest` is "" when the archive does not name the blob by digest
  // (a docker-archive's files); `size` is exact.
  // Answer AlreadyExists when the blob is already there: the importer then
  // still reads and verifies the bytes but sends them nowhere.
  virtual Result<std::unique_ptr<BlobWriter>> open(std::string_view entry, std::string_view expected_digest,
                                                   int64_t size) = 0;
};

// The blobs an export reads. An adapter over NamespacedContent returns
// content.reader(scope, digest) as it is.
class BlobSource {
 public:
  virtual ~BlobSource();
  // NotFound when the blob is absent.
  virtual Result<std::unique_ptr<ContentReader>> open(std::string_view digest) = 0;
};

}  // namespace berth::image_archive
