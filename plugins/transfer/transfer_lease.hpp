// A transfer's own lease, for a caller that brought none: everything the
// transfer writes is held by it until the image records (and the labels
// from them down) hold it instead. A pull removes it when it succeeds and
// leaves it (with its expiry) when it fails, so the next try finds what it
// kept; an import removes it either way, as an archive is read again whole.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/status.hpp"

namespace berth::transfer {

class TransferLease {
 public:
  // A lease "<prefix>-<time>-<random>" in namespace `ns`, expiring after a day.
  static Result<TransferLease> create(Metadata& metadata, LeaseStore& leases, std::string_view prefix,
                                      const std::string& ns);
  [[nodiscard]] const std::string& id() const { return id_; }
  Status remove(Metadata& metadata, LeaseStore& leases, const std::string& ns) const;

 private:
  explicit TransferLease(std::string id) : id_(std::move(id)) {}
  std::string id_;
};

// What a transfer calls to add snapshot `key` of `snapshotter` to `scope`'s
// lease, as the content store adds a blob the namespace has already to the
// lease that asks for it (PullTarget::hold_snapshot). Empty without a lease.
std::function<Status(std::string_view key)> snapshot_holder(Metadata& metadata, LeaseStore& leases,
                                                            const ContentScope& scope,
                                                            const std::string& snapshotter);

}  // namespace berth::transfer
