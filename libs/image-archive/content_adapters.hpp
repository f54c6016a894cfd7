// The sink and source over a namespace's content (berth/namespaced_content.hpp),
// for the daemon's transfer service: import writes each blob through an
// ingest in the caller's namespace and lease, export reads committed blobs.
#pragma once

#include <string>

#include "berth/namespaced_content.hpp"
#include "image-archive/blob_io.hpp"

namespace berth::image_archive {

class NamespacedBlobSink : public BlobSink {
 public:
  // Ingest refs are `ref_prefix` + the archive entry ("tar-" as containerd's
  // importer, or one unique per import so two imports of one archive do not
  // contend for a ref).
  NamespacedBlobSink(NamespacedContent& content, ContentScope scope, std::string ref_prefix)
      : content_(content), scope_(std::move(scope)), ref_prefix_(std::move(ref_prefix)) {}

  // AlreadyExists when the namespace has the blob. An ingest left by an
  // interrupted import is restarted; one the store can complete from another
  // namespace's blob is committed without the bytes being written again.
  Result<std::unique_ptr<BlobWriter>> open(std::string_view entry, std::string_view expected_digest,
                                           int64_t size) override;

 private:
  NamespacedContent& content_;
  ContentScope scope_;
  std::string ref_prefix_;
};

class NamespacedBlobSource : public BlobSource {
 public:
  NamespacedBlobSource(NamespacedContent& content, ContentScope scope)
      : content_(content), scope_(std::move(scope)) {}
  Result<std::unique_ptr<ContentReader>> open(std::string_view digest) override {
    return content_.reader(scope_, digest);
  }

 private:
  NamespacedContent& content_;
  ContentScope scope_;
};

}  // namespace berth::image_archive
