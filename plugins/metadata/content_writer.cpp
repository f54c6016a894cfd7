#include "content_writer.hpp"

#include <utility>

#include "berth/validate.hpp"
#include "ingest_records.hpp"
#include "namespaced_content.hpp"

namespace berth::metadata {

RecordingWriter::RecordingWriter(MetadataContent& owner, ContentScope scope, std::string ref,
                                 std::unique_ptr<ContentWriter> backend_writer, std::string expected)
    : owner_(owner),
      scope_(std::move(scope)),
      ref_(std::move(ref)),
      w_(std::move(backend_writer)),
      expected_(std::move(expected)) {}

RecordingWriter::RecordingWriter(MetadataContent& owner, ContentScope scope, std::string ref,
                                 ContentInfo existing, TimestampNs started_at)
    : owner_(owner),
      scope_(std::move(scope)),
      ref_(std::move(ref)),
      existing_(std::move(existing)),
      started_at_(started_at) {}

Result<IngestStatus> RecordingWriter::status() {
  BERTH_RETURN_IF_ERROR(check_open());
  if (existing_) {
    return IngestStatus{ref_, existing_->size, existing_->size, existing_->digest, started_at_, started_at_};
  }
  auto s = w_->status();
  if (!s.ok()) return s.status();
  s->ref = ref_;
  if (s->expected.empty()) s->expected = expected_;
  return s;
}

Status RecordingWriter::write(std::string_view data) {
  BERTH_RETURN_IF_ERROR(check_open());
  if (existing_) {
    // Copying the rest of the data after seeking to the reported offset
    // (containerd's content.Copy) writes nothing at all: fine.
    if (data.empty()) return {};
    return complete_error();
  }
  return w_->write(data);
}

Status RecordingWriter::write_pieces(std::span<const std::string_view> pieces) {
  BERTH_RETURN_IF_ERROR(check_open());
  if (existing_) {
    for (std::string_view piece : pieces) {
      if (!piece.empty()) return complete_error();
    }
    return {};
  }
  return w_->write_pieces(pieces);
}

Status RecordingWriter::truncate(int64_t size) {
  BERTH_RETURN_IF_ERROR(check_open());
  if (existing_) {
    // A client that writes the blob anyway (from offset `size`) gets an
    // ingest of its own holding what it kept, as containerd's writer does.
    if (size < 0 || size > existing_->size)
      return out_of_range(quote_ref(ref_) + ": truncate to " + std::to_string(size) + " of " +
                          std::to_string(existing_->size) + " bytes");
    auto w = owner_.unshare(scope_, ref_, existing_->digest, existing_->size, size);
    if (!w.ok()) return w.status();
    w_ = std::move(w).value();
    existing_.reset();
    return {};
  }
  return w_->truncate(size);
}

std::string RecordingWriter::digest() {
  if (existing_) return existing_->digest;
  return w_ ? w_->digest() : std::string();
}

Result<std::string> RecordingWriter::commit(int64_t size, std::string_view expected) {
  return commit_labeled(size, expected, {});
}

Result<std::string> RecordingWriter::commit_labeled(int64_t size, std::string_view expected,
                                                    const Labels& labels) {
  BERTH_RETURN_IF_ERROR(check_open());
  BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context("content labels"));
  if (!expected.empty()) BERTH_RETURN_IF_ERROR(validate_digest(expected));
  // Before anything is committed: content written under a lease that does
  // not exist would otherwise be left unprotected.
  BERTH_RETURN_IF_ERROR(owner_.check_lease(scope_));

  auto held = owner_.hold_blobs();
  std::string digest;
  if (existing_) {
    if (size > 0 && size != existing_->size) {
      return failed_precondition(quote_ref(ref_) + ": unexpected commit size " + std::to_string(size) +
                                 ", expected " + std::to_string(existing_->size));
    }
    if (!expected.empty() && expected != existing_->digest) {
      return failed_precondition(quote_ref(ref_) + ": unexpected commit digest " + std::string(expected) +
                                 ", expected " + existing_->digest);
    }
    digest = existing_->digest;
  } else {
    if (!expected.empty() && !expected_.empty() && expected != expected_) {
      return failed_precondition(quote_ref(ref_) + ": unexpected commit digest " + std::string(expected) +
                                 ", expected " + expected_ + " (the digest given when the ingest started)");
    }
    const std::string_view want = expected.empty() ? std::string_view(expected_) : expected;
    // The backend names the digest only on success; for AlreadyExists it
    // is the expected one or that of the data written.
    std::string written = want.empty() ? w_->digest() : std::string(want);
    auto committed = w_->commit(size, want);
    if (committed.ok()) {
      digest = std::move(*committed);
    } else if (committed.status().code() == Code::kAlreadyExists) {
      // Another namespace committed the same blob first: it is there, and
      // this namespace may still record it.
      digest = std::move(written);
    } else {
      return committed.status();
    }
  }
  // The backend ingest is gone now, whatever the recording below says.
  done_ = true;
  w_.reset();
  return owner_.record_commit(scope_, ref_, digest, labels, !existing_);
}

Status RecordingWriter::check_open() const {
  if (done_) return failed_precondition(quote_ref(ref_) + ": writer already committed");
  return {};
}

Status RecordingWriter::complete_error() const {
  return failed_precondition(quote_ref(ref_) + ": content " + existing_->digest +
                             " is already complete; commit it without writing");
}

}  // namespace berth::metadata
