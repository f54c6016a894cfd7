// berth::Snapshotter on overlayfs, with containerd's layout and mounts:
// <root>/snapshots/<id>/fs holds a snapshot's own files (its upper layer
// while active, a lower layer once committed) and <root>/snapshots/<id>/work
// overlayfs' work directory. Ids keep the paths short, and berth::mount_all
// makes long lowerdir lists relative, so deep images (128 layers) mount.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "berth/instance.hpp"
#include "berth/metrics.hpp"
#include "berth/snapshotter.hpp"
#include "overlay_check.hpp"
#include "snapshot-storage/meta_store.hpp"
#include "snapshot-storage/snapshot_figures.hpp"

namespace berth::snapshot {

// The label containerd's overlay snapshotter sets, with upperdir_label, to
// the upper directory of an active snapshot.
inline constexpr std::string_view kUpperdirLabel = "containerd.io/snapshot/overlay.upperdir";

struct OverlayOptions {
  // Stat, update and walk report kUpperdirLabel on active snapshots.
  bool upperdir_label = false;
  // remove() deletes the snapshot's directory itself. Otherwise remove()
  // only drops the record and the directory goes at the next cleanup(),
  // which the GC calls after a collection: removing a big layer is slow and
  // need not hold up the caller.
  bool sync_remove = false;
  // Appended to every overlay mount's options.
  std::vector<std::string> mount_options;
};

class OverlaySnapshotter final : public Instance, public Snapshotter, public MetricsSource {
 public:
  // Does not check that overlayfs works there (see check_overlay_support).
  static Result<std::shared_ptr<OverlaySnapshotter>> open(const std::filesystem::path& root,
                                                          OverlayOptions options);

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
  // One durable change for the lot; the directories go as remove()'s do.
  std::vector<Status> remove_all(const std::vector<std::string>& keys) override;

  [[nodiscard]] std::filesystem::path fs_dir(SnapshotId id) const { return store_->dir_of(id) / "fs"; }
  [[nodiscard]] std::filesystem::path work_dir(SnapshotId id) const { return store_->dir_of(id) / "work"; }

  // Holds the check's cleanup (its unmount, still running on a thread)
  // until this snapshotter closes.
  void keep(OverlayCheckCleanup check) { check_cleanup_ = std::move(check); }

  // The metrics endpoint's figures: snapshots by kind and their disk usage.
  std::vector<metrics::Family> collect() override { return snapshot::snapshot_figures(*this, "overlayfs"); }

 private:
  OverlaySnapshotter(std::unique_ptr<MetaStore> store, OverlayOptions options, bool index_off)
      : store_(std::move(store)), options_(std::move(options)), index_off_(index_off) {}

  Result<std::vector<Mount>> create(SnapshotKind kind, std::string_view key, std::string_view parent,
                                    const Labels& labels);
  Status make_snapshot_dirs(const Reservation& r);
  [[nodiscard]] std::vector<Mount> mounts_of(SnapshotId id, SnapshotKind kind,
                                             const std::vector<SnapshotId>& parent_ids) const;
  // `info` as callers see it (with the upperdir label when configured).
  [[nodiscard]] SnapshotInfo shown(SnapshotInfo info, SnapshotId id) const;

  std::unique_ptr<MetaStore> store_;
  const OverlayOptions options_;
  const bool index_off_;
  // Last, so it is joined first when the snapshotter is destroyed.
  OverlayCheckCleanup check_cleanup_;
};

}  // namespace berth::snapshot
