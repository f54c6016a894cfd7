// berth::NamespacedSnapshots over the loaded snapshotter plugins: containerd's
// metadata snapshotters, and the instance of the io.containerd.service.v1
// plugin "snapshots-service". It hands out each snapshotter as seen from a
// namespace (namespaced_snapshotter.hpp), whose records it keeps in the
// metadata database (snapshot_records.hpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/events.hpp"
#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_snapshots.hpp"
#include "berth/snapshotter.hpp"
#include "lease_store.hpp"

namespace berth::metadata {

using Snapshotters = std::map<std::string, std::shared_ptr<Snapshotter>, std::less<>>;

class MetadataSnapshots final : public Instance, public NamespacedSnapshots {
 public:
  // Records in `md` (not null), for the `backends` by plugin id; there may be none.
  // Prepares, commits and removes are announced through `events` (may be null).
  MetadataSnapshots(std::shared_ptr<Metadata> md, Snapshotters backends,
                    std::shared_ptr<EventPublisher> events = nullptr)
      : md_(std::move(md)), backends_(std::move(backends)), events_(std::move(events)) {}

  [[nodiscard]] std::vector<std::string> names() const override;
  Result<std::unique_ptr<Snapshotter>> get(const ContentScope& scope, std::string_view name) override;

 private:
  const std::shared_ptr<Metadata> md_;
  const Snapshotters backends_;
  const std::shared_ptr<EventPublisher> events_;
  // The lease records, in this plugin's key layout: snapshots are attached
  // in the transaction that records them.
  KvLeaseStore leases_;
};

}  // namespace berth::metadata
