#include "image-archive/content_adapters.hpp"

namespace berth::image_archive {
namespace {

class NamespacedBlobWriter : public BlobWriter {
 public:
  NamespacedBlobWriter(NamespacedContent& content, ContentScope scope, std::string ref,
                       std::unique_ptr<NamespacedWriter> writer, bool complete)
      : content_(content),
        scope_(std::move(scope)),
        ref_(std::move(ref)),
        writer_(std::move(writer)),
        complete_(complete) {}

  ~NamespacedBlobWriter() override {
    if (committed_) return;
    // The writer holds the ref; close it before the ingest can be aborted.
    writer_.reset();
    (void)content_.abort(scope_, ref_);
  }

  Status write(std::string_view data) override {
    // The store has the bytes already; the importer still hashes them.
    if (complete_) return {};
    return writer_->write(data);
  }

  Status commit(const Descriptor& verified) override {
    auto done = writer_->commit(verified.size, verified.digest);
    if (!done.ok() && done.status().code() != Code::kAlreadyExists) return done.status();
    committed_ = true;
    return {};
  }

 private:
  NamespacedContent& content_;
  ContentScope scope_;
  std::string ref_;
  std::unique_ptr<NamespacedWriter> writer_;
  bool complete_;
  bool committed_ = false;
};

}  // namespace

Result<std::unique_ptr<BlobWriter>> NamespacedBlobSink::open(std::string_view entry,
                                                             std::string_view expected_digest, int64_t size) {
  std::string ref = ref_prefix_ + std::string(entry);
  auto writer = content_.writer(scope_, ref, size, expected_digest);
  if (!writer.ok()) return writer.status();
  auto status = (*writer)->status();
  if (!status.ok()) return status.status();
  const bool complete = !expected_digest.empty() && status->offset == size && size > 0;
  if (!complete && status->offset != 0) BERTH_RETURN_IF_ERROR((*writer)->truncate(0));
  return std::unique_ptr<BlobWriter>(
      std::make_unique<NamespacedBlobWriter>(content_, scope_, std::move(ref), std::move(*writer), complete));
}

}  // namespace berth::image_archive
