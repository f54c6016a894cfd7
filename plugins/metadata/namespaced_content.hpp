// berth::NamespacedContent over a backend berth::ContentStore: containerd's
// metadata content store, and the instance of the io.containerd.service.v1
// plugin "content-service". The backend keeps every blob once; this layer
// keeps, per namespace, which blobs were committed there with their labels
// (blob_records, content_labels) and which ingests are in progress
// (ingest_records), and attaches both to the request's lease.
//
// Ordering: backend operations that move data (opening a writer, committing)
// run outside metadata transactions, so a large commit never holds the
// metadata writer lock; the records follow in one transaction each.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/events.hpp"
#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "lease_store.hpp"

namespace berth::metadata {

class MetadataContent final : public Instance, public NamespacedContent {
 public:
  // Records in `md`, blobs in `backend`; neither may be null. Writers handed
  // out must not outlive this object.
  // Deletes are announced (/content/delete) through `events` (may be null).
  MetadataContent(std::shared_ptr<Metadata> md, std::shared_ptr<ContentStore> backend,
                  std::shared_ptr<EventPublisher> events = nullptr);
  ~MetadataContent() override;

  Result<ContentInfo> info(const ContentScope& scope, std::string_view digest) override;
  Result<ContentInfo> update(const ContentScope& scope, const ContentInfo& info,
                             const std::vector<std::string>& paths) override;
  Status walk(const ContentScope& scope, const std::vector<std::string>& filters,
              const std::function<bool(const ContentInfo&)>& fn) override;
  // Deletes the namespace's record. The backend blob stays until the garbage
  // collector finds no namespace holding it, as in containerd.
  Status remove(const ContentScope& scope, std::string_view digest) override;
  Result<std::unique_ptr<ContentReader>> reader(const ContentScope& scope, std::string_view digest) override;

  Result<std::unique_ptr<NamespacedWriter>> writer(const ContentScope& scope, std::string_view ref,
                                                   int64_t total, std::string_view expected) override;
  Result<IngestStatus> status(const ContentScope& scope, std::string_view ref) override;
  Result<std::vector<IngestStatus>> list_statuses(const ContentScope& scope,
                                                  const std::vector<std::string>& filters) override;
  Status abort(const ContentScope& scope, std::string_view ref) override;
  Result<std::unique_ptr<ContentReader>> ingest_reader(const ContentScope& scope,
                                                       std::string_view ref) override;

  // For the writers (content_writer.hpp). NotFound unless the scope's lease,
  // if any, exists.
  Status check_lease(const ContentScope& scope);
  // Held by a writer from before its backend commit until its record is
  // committed (RocksMetadata::hold_blobs): the collector's sweep then never
  // takes a blob that is committed but not yet recorded.
  std::shared_lock<std::shared_mutex> hold_blobs();
  // Records `digest`, committed through ingest `ref` (had_ingest: one with a
  // record, not a complete writer), in the scope's namespace and lease, and
  // deletes the ingest record.
  Result<std::string> record_commit(const ContentScope& scope, std::string_view ref,
                                    const std::string& digest, const Labels& labels, bool had_ingest);
  // A real ingest for `ref` holding the first `keep` bytes of the stored
  // blob `digest`: what a writer of content another namespace already has
  // turns into when its client writes anyway (containerd's createAndCopy).
  Result<std::unique_ptr<ContentWriter>> unshare(const ContentScope& scope, std::string_view ref,
                                                 std::string_view digest, int64_t total, int64_t keep);

 private:
  const std::shared_ptr<Metadata> md_;
  const std::shared_ptr<ContentStore> backend_;
  // The lease records, in this plugin's key layout: resources are attached
  // in the transaction that records them.
  KvLeaseStore leases_;
  // The database's blob lock when it is a RocksMetadata (always, in berthd),
  // else one of our own.
  std::shared_mutex own_blobs_mu_;
  std::shared_ptr<EventPublisher> events_;
};

}  // namespace berth::metadata
