// A namespace's ingest, as NamespacedContent::writer hands it out: either a
// backend writer, or (when the backend already holds the expected blob for
// another namespace) a complete one that receives nothing. Either way its
// commit records the blob in the namespace.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "berth/content_store.hpp"
#include "berth/namespaced_content.hpp"

namespace berth::metadata {

class MetadataContent;

class RecordingWriter final : public NamespacedWriter {
 public:
  // `owner` records the commit and must outlive the writer. `expected`: a
  // digest the commit must match that `backend_writer` was not given (the
  // backend refuses one it holds a blob for, even one due to be collected).
  RecordingWriter(MetadataContent& owner, ContentScope scope, std::string ref,
                  std::unique_ptr<ContentWriter> backend_writer, std::string expected = "");
  // Complete already: `existing` is the backend's blob, `started_at` now.
  RecordingWriter(MetadataContent& owner, ContentScope scope, std::string ref, ContentInfo existing,
                  TimestampNs started_at);

  Result<IngestStatus> status() override;
  Status write(std::string_view data) override;
  Status write_pieces(std::span<const std::string_view> pieces) override;
  Status truncate(int64_t size) override;
  std::string digest() override;
  Result<std::string> commit(int64_t size, std::string_view expected) override;
  Result<std::string> commit_labeled(int64_t size, std::string_view expected, const Labels& labels) override;

 private:
  Status check_open() const;
  Status complete_error() const;

  MetadataContent& owner_;
  const ContentScope scope_;
  const std::string ref_;
  std::unique_ptr<ContentWriter> w_;
  std::string expected_;
  std::optional<ContentInfo> existing_;
  TimestampNs started_at_ = 0;
  bool done_ = false;
};

}  // namespace berth::metadata
