// The stand-in for the garbage collector, for content. containerd's
// collector deletes a blob from the backend store once nothing references
// it, honouring leases. Until Berth has one (leases are recorded for it
// already), the blob goes as soon as no namespace holds a record of it, and
// this class is what the collector will replace.
#pragma once

#include <memory>
#include <mutex>
#include <string_view>

#include "berth/content_store.hpp"
#include "berth/metadata.hpp"
#include "berth/status.hpp"

namespace berth::metadata {

class ContentReclaimer {
 public:
  // Both must outlive this object.
  ContentReclaimer(Metadata& md, ContentStore& backend) : md_(md), backend_(backend) {}

  // Deletes namespace `ns`'s record of `digest` (NotFound if it holds none)
  // and, when no namespace holds the blob any more, the backend blob.
  Status remove(std::string_view ns, std::string_view digest);

  // While the returned lock is held, remove() deletes no backend blob: a blob
  // found in the backend stays there until it is recorded. Without it a
  // namespace could record a blob that another namespace's remove() deleted
  // in between.
  [[nodiscard]] std::unique_lock<std::mutex> keep_blobs() { return std::unique_lock(mu_); }

 private:
  Metadata& md_;
  ContentStore& backend_;
  std::mutex mu_;
};

}  // namespace berth::metadata
