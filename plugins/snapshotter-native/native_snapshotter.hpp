// berth::Snapshotter with plain directories: each snapshot is
// <root>/snapshots/<id>, a full copy of its parent made when it is created,
// mounted with a bind mount. Works on any file system; costs a copy per
// layer, as containerd's native snapshotter.
#pragma once

#include <filesystem>
#include <memory>

#include "berth/instance.hpp"
#include "berth/metrics.hpp"
#include "berth/snapshotter.hpp"
#include "snapshot-storage/meta_store.hpp"
#include "snapshot-storage/snapshot_figures.hpp"

namespace berth::snapshot {

class NativeSnapshotter final : public Instance, public Snapshotter, public MetricsSource {
 public:
  static Result<std::shared_ptr<NativeSnapshotter>> open(const std::filesystem::path& root);

  Result<SnapshotInfo> stat(std::string_view key) override;
  Result<SnapshotInfo> update(const SnapshotInfo& info, const std::vector<std::string>& paths) override;
  Result<SnapshotUsage> usage(std::string_view key) override;
  Result<std::vector<Mount>> mounts(std::string_view key) override;
  Result<std::vector<Mount>> prepare(std::string_view key, std::string_view parent,
                                     const Labels& labels) override;
  Result<std::vector<Mount>> view(std::string_view key, std::string_view parent,
                                  const Labels& labels) override;
  Status commit(std::string_view name, std::string_view key, const Labels& labels) override;
  // Removes the directory at once.
  Status remove(std::string_view key) override;
  Status walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) override;
  Status cleanup() override;
  // One durable change for the lot, then each removed snapshot's directory.
  std::vector<Status> remove_all(const std::vector<std::string>& keys) override;

  // The metrics endpoint's figures: snapshots by kind and their disk usage.
  std::vector<metrics::Family> collect() override { return snapshot::snapshot_figures(*this, "native"); }

 private:
  explicit NativeSnapshotter(std::unique_ptr<MetaStore> store) : store_(std::move(store)) {}

  Result<std::vector<Mount>> create(SnapshotKind kind, std::string_view key, std::string_view parent,
                                    const Labels& labels);
  [[nodiscard]] std::vector<Mount> mounts_of(const Record& record) const;

  std::unique_ptr<MetaStore> store_;
};

}  // namespace berth::snapshot
