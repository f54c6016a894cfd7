#include "blob_download.hpp"

#include <chrono>
#include <thread>

#include "content_labels.hpp"

namespace berth::transfer {
namespace {

// How long to wait for another pull that holds a blob's ingest ref before
// giving up (containerd waits for a locked ref too).
constexpr auto kLockedRefPatience = std::chrono::minutes(10);

// How often one download goes on after its connection broke, as long as
// each try brings more bytes.
constexpr int kMaxResumes = 5;

Status stopped() { return cancelled("the pull stopped"); }

Labels with_source(const PullTarget& target, Labels labels, const Labels& existing) {
  if (target.source_key.empty()) return labels;  // not from a registry (an imported archive)
  auto found = existing.find(target.source_key);
  labels[target.source_key] = append_source(found == existing.end() ? "" : found->second, target.repo);
  return labels;
}

// Finishes a GrowingBlob with the download's status on every path.
class FinishOnExit {
 public:
  explicit FinishOnExit(GrowingBlob* blob) : blob_(blob) {}
  FinishOnExit(const FinishOnExit&) = delete;
  FinishOnExit& operator=(const FinishOnExit&) = delete;
  ~FinishOnExit() {
    if (blob_) blob_->finish(status_.ok() ? internal("the download ended without a result") : status_);
  }
  Status done(Status st) {
    if (blob_) blob_->finish(st);
    blob_ = nullptr;
    return st;
  }
  void fail(Status st) { status_ = std::move(st); }

 private:
  GrowingBlob* blob_;
  Status status_;
};

// Opens the ingest, waiting while another pull holds its ref. nullptr when
// the namespace has the blob by now.
Result<std::unique_ptr<NamespacedWriter>> open_writer(const PullTarget& target, const std::string& ref,
                                                      const Descriptor& desc) {
  const auto deadline = std::chrono::steady_clock::now() + kLockedRefPatience;
  for (;;) {
    auto w = target.content.writer(target.scope, ref, desc.size, desc.digest);
    if (w.ok()) return w;
    if (w.status().code() == Code::kAlreadyExists) return std::unique_ptr<NamespacedWriter>();
    if (w.status().code() != Code::kUnavailable || std::chrono::steady_clock::now() > deadline)
      return w.status().with_context("open ingest " + ref);
    if (target.stop.load()) return stopped();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (target.content.info(target.scope, desc.digest).ok()) return std::unique_ptr<NamespacedWriter>();
  }
}

}  // namespace

std::string ingest_ref(std::string_view kind, std::string_view digest) {
  return std::string(kind) + "-" + std::string(digest);
}

Status label_blob(const PullTarget& target, const Descriptor& desc, const Labels& labels) {
  auto info = target.content.info(target.scope, desc.digest);
  if (!info.ok()) return info.status();
  Labels want = with_source(target, labels, info->labels);
  ContentInfo update{.digest = desc.digest};
  std::vector<std::string> paths;
  for (auto& [k, v] : want) {
    auto have = info->labels.find(k);
    if (have != info->labels.end() && have->second == v) continue;
    update.labels[k] = v;
    paths.push_back("labels." + k);
  }
  if (paths.empty()) return {};
  return target.content.update(target.scope, update, paths).status().with_context("label " + desc.digest);
}

Status store_document(const PullTarget& target, std::string_view kind, const Descriptor& desc,
                      std::string_view bytes, Labels labels) {
  if (target.content.info(target.scope, desc.digest).ok()) {
    target.progress.report(std::string(kind), desc.digest, TransferState::kExists, desc.size, desc.size);
    return label_blob(target, desc, labels);
  }
  const std::string ref = ingest_ref(kind, desc.digest);
  auto writer = open_writer(target, ref, desc);
  if (!writer.ok()) return writer.status();
  if (*writer) {
    // Whatever an earlier try left is dropped: the bytes are all here.
    BERTH_RETURN_IF_ERROR((*writer)->truncate(0));
    BERTH_RETURN_IF_ERROR((*writer)->write(bytes));
    auto committed = (*writer)->commit_labeled(desc.size, desc.digest, with_source(target, labels, {}));
    if (committed.ok()) {
      if (target.journal) target.journal->blob(desc.digest);
      target.progress.report(std::string(kind), desc.digest, TransferState::kDone, desc.size, desc.size);
      return {};
    }
    if (committed.status().code() != Code::kAlreadyExists)
      return committed.status().with_context("store " + std::string(kind) + " " + desc.digest);
  }
  target.progress.report(std::string(kind), desc.digest, TransferState::kExists, desc.size, desc.size);
  return label_blob(target, desc, labels);
}

Status download_blob(const PullTarget& target, HostClients& hosts, std::string_view kind,
                     const Descriptor& desc, Labels labels, GrowingBlob* growing) {
  FinishOnExit finish(growing);
  const std::string k(kind);
  auto fail = [&](Status st) {
    finish.fail(st);
    return st;
  };
  if (target.content.info(target.scope, desc.digest).ok()) {
    target.progress.report(k, desc.digest, TransferState::kExists, desc.size, desc.size);
    return finish.done(label_blob(target, desc, labels));
  }
  const std::string ref = ingest_ref(kind, desc.digest);
  auto opened = open_writer(target, ref, desc);
  if (!opened.ok()) return fail(opened.status());
  std::unique_ptr<NamespacedWriter> writer = std::move(*opened);
  if (!writer) {
    target.progress.report(k, desc.digest, TransferState::kExists, desc.size, desc.size);
    return finish.done(label_blob(target, desc, labels));
  }

  // Go on after what an earlier, broken pull kept (the writer re-hashed it
  // when it reopened the ingest).
  auto status = writer->status();
  if (!status.ok()) return fail(status.status());
  int64_t offset = status->offset;
  if (offset == desc.size && desc.size > 0) {
    // Complete already: another namespace has the blob, or a pull was
    // killed just before its commit. The commit verifies it.
    auto committed = writer->commit_labeled(desc.size, desc.digest, with_source(target, labels, {}));
    if (committed.ok() || committed.status().code() == Code::kAlreadyExists) {
      writer.reset();
      if (committed.ok() && target.journal) target.journal->blob(desc.digest);
      target.progress.report(k, desc.digest, TransferState::kExists, desc.size, desc.size);
      return finish.done(committed.ok() ? Status{} : label_blob(target, desc, labels));
    }
    offset = 0;  // the kept bytes are not the blob: fetch it again
  }
  if (offset > desc.size) offset = 0;
  if (offset == 0 && status->offset > 0) {
    if (Status st = writer->truncate(0); !st.ok()) return fail(st);
  }
  if (growing) {
    auto reader = target.content.ingest_reader(target.scope, ref);
    // A content service that cannot read a growing ingest: the unpacker
    // waits for the commit instead.
    if (reader.ok()) growing->start(std::move(*reader));
    growing->advance(offset);
  }

  int64_t written = offset;
  target.progress.report(k, desc.digest, TransferState::kDownloading, written, desc.size);
  auto sink = [&](std::string_view chunk) -> Status {
    if (target.stop.load()) return stopped();
    BERTH_RETURN_IF_ERROR(writer->write(chunk));
    written += static_cast<int64_t>(chunk.size());
    if (growing) growing->advance(written);
    target.progress.report(k, desc.digest, TransferState::kDownloading, written, desc.size);
    return {};
  };
  auto restart = [&]() -> Status {
    BERTH_RETURN_IF_ERROR(writer->truncate(0));
    written = 0;
    if (growing) growing->restart();
    return {};
  };
  // The registry's bytes are checked for length on the way and hashed once,
  // by the ingest; its commit below checks the digest.
  Status fetched = hosts.fetch(desc, offset, sink, restart);
  // A connection cut after bytes arrived (the client retries only before
  // the first byte): go on from what the ingest holds, with a Range request.
  for (int resumes = 0; fetched.code() == Code::kUnavailable && written > offset && resumes < kMaxResumes &&
                        !target.stop.load();
       ++resumes) {
    offset = written;
    fetched = hosts.fetch(desc, offset, sink, restart);
  }
  if (!fetched.ok()) {
    writer.reset();
    // Bytes that failed verification must not be resumed from: drop them.
    // Anything else (a cut connection, a kill) keeps them for the next try.
    if (fetched.code() == Code::kDataLoss) (void)target.content.abort(target.scope, ref);
    return fail(fetched.with_context("fetch " + k + " " + desc.digest));
  }
  // The digest of what the ingest holds is known now: when it is the blob's,
  // the unpack may finish this layer while the commit makes it durable.
  if (growing && writer->digest() == desc.digest) growing->verified();
  auto committed = writer->commit_labeled(desc.size, desc.digest, with_source(target, labels, {}));
  if (committed.status().code() == Code::kFailedPrecondition) {
    // The registry sent the right number of bytes, but not the blob. They
    // must not be resumed from: drop them.
    writer.reset();
    (void)target.content.abort(target.scope, ref);
    return fail(data_loss("registry " + hosts.session().ref().domain + ": " + committed.status().message())
                    .with_context("fetch " + k + " " + desc.digest));
  }
  if (committed.ok() && target.journal) target.journal->blob(desc.digest);
  if (!committed.ok()) {
    if (committed.status().code() != Code::kAlreadyExists)
      return fail(committed.status().with_context("commit " + k + " " + desc.digest));
    Status st = label_blob(target, desc, labels);
    if (!st.ok()) return fail(st);
  }
  target.progress.report(k, desc.digest, TransferState::kVerified, desc.size, desc.size);
  return finish.done({});
}

}  // namespace berth::transfer
