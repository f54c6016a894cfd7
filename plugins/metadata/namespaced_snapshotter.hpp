// One snapshotter seen from one namespace (and lease): the client's keys are
// records in the metadata database (snapshot_records.hpp) mapped to unique
// backend keys, so the backend, which knows nothing of namespaces, never
// sees two namespaces' keys collide. Snapshots made under a lease are
// attached to it.
//
// Ordering: the backend call runs inside the metadata transaction that
// records it, so the two change together or (when the backend fails) not at
// all. Should the record's commit fail after the backend succeeded, the
// backend snapshot is removed again. Snapshot calls are therefore serialised
// with every other metadata write, which is what containerd's bolt store
// does as well.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "berth/events.hpp"
#include "berth/leases.hpp"
#include "berth/metadata.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/snapshotter.hpp"
#include "snapshot_records.hpp"

namespace berth::metadata {

class NamespacedSnapshotter final : public Snapshotter {
 public:
  // `md` and `leases` must outlive this object; `scope` has been checked.
  // `events` (may be null) hears of prepares, commits and removes once committed.
  NamespacedSnapshotter(Metadata& md, LeaseStore& leases, ContentScope scope, std::string name,
                        std::shared_ptr<Snapshotter> backend,
                        std::shared_ptr<EventPublisher> events = nullptr);

  Result<SnapshotInfo> stat(std::string_view key) override;
  Result<SnapshotInfo> update(const SnapshotInfo& info, const std::vector<std::string>& paths) override;
  Result<SnapshotUsage> usage(std::string_view key) override;
  Result<std::vector<Mount>> mounts(std::string_view key) override;
  Result<std::vector<Mount>> prepare(std::string_view key, std::string_view parent,
                                     const Labels& labels) override;
  Result<std::vector<Mount>> view(std::string_view key, std::string_view parent,
                                  const Labels& labels) override;
  Status commit(std::string_view name, std::string_view key, const Labels& labels) override;
  Status remove(std::string_view key) override;
  Status walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) override;
  Status cleanup() override;

 private:
  [[nodiscard]] std::string resource_type() const;
  [[nodiscard]] std::string backend_key(uint64_t seq, std::string_view key) const;
  // The record of `key`, or NotFound.
  Result<SnapshotRecord> existing(std::string_view key);
  Status remove_record(std::string_view key);
  Result<std::vector<Mount>> create(SnapshotKind kind, std::string_view key, std::string_view parent,
                                    const Labels& labels);

  Metadata& md_;
  LeaseStore& leases_;
  const ContentScope scope_;
  const std::string sn_;
  const std::shared_ptr<Snapshotter> backend_;
  const std::shared_ptr<EventPublisher> events_;
};

}  // namespace berth::metadata
