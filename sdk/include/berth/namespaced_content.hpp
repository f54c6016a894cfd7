// Content as clients see it: per namespace. Blobs are stored once by the
// backend ContentStore, but each namespace sees only what was committed in
// it, and labels belong to the namespace. Ingests are per namespace too, and
// content written under a lease is held by that lease.
//
// Offered by the io.containerd.service.v1 plugin "content-service"
// (berth/services.hpp), which keeps the records in the metadata database over
// the content store plugin, as containerd's metadata package wraps its local
// store. The Content API service and the differ use it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/content_store.hpp"
#include "berth/status.hpp"

namespace berth {

// Who is asking: the namespace, and the lease the request was made under.
struct ContentScope {
  std::string ns;
  std::optional<std::string> lease;
};

// A namespace's ingest. commit() records the blob in the namespace (with the
// labels of commit_labeled(), and in the scope's lease if any).
class NamespacedWriter : public ContentWriter {
 public:
  ~NamespacedWriter() override;
  virtual Result<std::string> commit_labeled(int64_t size, std::string_view expected,
                                             const Labels& labels) = 0;
};

class NamespacedContent {
 public:
  virtual ~NamespacedContent();

  // NotFound unless the blob was committed in this namespace.
  virtual Result<ContentInfo> info(const ContentScope& scope, std::string_view digest) = 0;
  // Replaces labels ("labels" path or none) or sets/removes single ones
  // ("labels.<key>"); other paths are InvalidArgument. Returns the new info.
  virtual Result<ContentInfo> update(const ContentScope& scope, const ContentInfo& info,
                                     const std::vector<std::string>& paths) = 0;
  // Filters: containerd syntax over digest, size, labels.<key>.
  virtual Status walk(const ContentScope& scope, const std::vector<std::string>& filters,
                      const std::function<bool(const ContentInfo&)>& fn) = 0;
  // Removes the namespace's record; the backend blob goes when no namespace
  // holds it any more (until Berth has a garbage collector: at once).
  virtual Status remove(const ContentScope& scope, std::string_view digest) = 0;
  virtual Result<std::unique_ptr<ContentReader>> reader(const ContentScope& scope,
                                                        std::string_view digest) = 0;

  // Opens or resumes the namespace's ingest `ref`. AlreadyExists if this
  // namespace already has `expected`. When another namespace has it, the
  // writer's status shows it complete and commit() records it here without
  // the data being sent again (ctr then skips the WRITE, as with containerd).
  virtual Result<std::unique_ptr<NamespacedWriter>> writer(const ContentScope& scope, std::string_view ref,
                                                           int64_t total, std::string_view expected) = 0;
  virtual Result<IngestStatus> status(const ContentScope& scope, std::string_view ref) = 0;
  // Filters: containerd syntax over ref.
  virtual Result<std::vector<IngestStatus>> list_statuses(const ContentScope& scope,
                                                          const std::vector<std::string>& filters) = 0;
  virtual Status abort(const ContentScope& scope, std::string_view ref) = 0;
  // The bytes the namespace's ingest `ref` holds so far, as
  // ContentStore::ingest_reader (Unimplemented by default).
  virtual Result<std::unique_ptr<ContentReader>> ingest_reader(const ContentScope& scope,
                                                               std::string_view ref);
};

}  // namespace berth
