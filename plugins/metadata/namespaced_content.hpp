// berth::NamespacedContent over a backend berth::ContentStore: containerd's
// metadata content store. The backend keeps every blob once; this layer keeps,
// per namespace, which blobs were committed there (with their labels) and
// which ingests are in progress, under the layout in keys.hpp.
//
// Ordering: backend operations that move data (opening a writer, committing)
// run outside metadata transactions, so a large commit never holds the
// metadata writer lock; the records follow in one transaction each.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"

namespace berth::metadata {

class MetadataContent final : public NamespacedContent {
 public:
  // `md` must outlive this object and every writer it hands out. `backend`
  // may be null: every call then fails with FailedPrecondition.
  MetadataContent(Metadata& md, std::shared_ptr<ContentStore> backend);
  ~MetadataContent() override;

  void set_backend(std::shared_ptr<ContentStore> backend);

  Result<ContentInfo> info(const ContentScope& scope, std::string_view digest) override;
  Result<ContentInfo> update(const ContentScope& scope, const ContentInfo& info,
                             const std::vector<std::string>& paths) override;
  Status walk(const ContentScope& scope, const std::vector<std::string>& filters,
              const std::function<bool(const ContentInfo&)>& fn) override;
  // Deletes the namespace's record, and the backend blob when no namespace
  // holds it any more. This is the garbage collector's job in containerd;
  // until Berth has one (leases are recorded for it already), it happens here.
  Status remove(const ContentScope& scope, std::string_view digest) override;
  Result<std::unique_ptr<ContentReader>> reader(const ContentScope& scope, std::string_view digest) override;

  Result<std::unique_ptr<NamespacedWriter>> writer(const ContentScope& scope, std::string_view ref,
                                                   int64_t total, std::string_view expected) override;
  Result<IngestStatus> status(const ContentScope& scope, std::string_view ref) override;
  Result<std::vector<IngestStatus>> list_statuses(const ContentScope& scope,
                                                  const std::vector<std::string>& filters) override;
  Status abort(const ContentScope& scope, std::string_view ref) override;

 private:
  class Writer;

  Result<std::shared_ptr<ContentStore>> backend() const;
  // Records a blob committed through `ref` in the scope's namespace (see Writer).
  Result<std::string> record_commit(const ContentScope& scope, std::string_view ref, ContentStore& backend,
                                    const std::string& digest, const Labels& labels, bool had_ingest);

  Metadata& md_;
  mutable std::mutex backend_mu_;
  std::shared_ptr<ContentStore> backend_;
  // Serialises "is this the last namespace holding the blob? then delete it
  // from the backend" in remove() against recording a blob that the backend
  // already had in record_commit(), so no record ever points at a blob
  // removed in between.
  std::mutex blob_mu_;
};

}  // namespace berth::metadata
