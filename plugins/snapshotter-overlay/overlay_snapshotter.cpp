#include "overlay_snapshotter.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <utility>

#include "files/dirs.hpp"
#include "overlay_check.hpp"
#include "snapshot-storage/disk_usage.hpp"
#include "text/text.hpp"

namespace berth::snapshot {
namespace {}  // namespace

Result<std::shared_ptr<OverlaySnapshotter>> OverlaySnapshotter::open(const std::filesystem::path& root,
                                                                     OverlayOptions options) {
  auto store = MetaStore::open(root);
  if (!store.ok()) return store.status();
  return std::shared_ptr<OverlaySnapshotter>(
      new OverlaySnapshotter(std::move(store).value(), std::move(options), overlay_has_index_feature()));
}

SnapshotInfo OverlaySnapshotter::shown(SnapshotInfo info, SnapshotId id) const {
  if (options_.upperdir_label && info.kind == SnapshotKind::kActive) {
    info.labels[std::string(kUpperdirLabel)] = fs_dir(id).string();
  }
  return info;
}

Result<SnapshotInfo> OverlaySnapshotter::stat(std::string_view key) {
  auto s = store_->get(key);
  if (!s.ok()) return s.status();
  return shown(std::move(s->record.info), s->record.id);
}

Result<SnapshotInfo> OverlaySnapshotter::update(const SnapshotInfo& info,
                                                const std::vector<std::string>& paths) {
  auto updated = store_->update(info, paths);
  if (!updated.ok() || !options_.upperdir_label) return updated;
  auto s = store_->get(updated->name);
  if (!s.ok()) return updated;  // removed meanwhile: report what was written
  return shown(std::move(updated).value(), s->record.id);
}

Result<SnapshotUsage> OverlaySnapshotter::usage(std::string_view key) {
  auto s = store_->get(key);
  if (!s.ok()) return s.status();
  if (s->record.info.kind == SnapshotKind::kCommitted) return s->record.usage;
  return disk_usage(fs_dir(s->record.id));
}

Result<std::vector<Mount>> OverlaySnapshotter::mounts(std::string_view key) {
  auto s = store_->get(key);
  if (!s.ok()) return s.status();
  if (s->record.info.kind == SnapshotKind::kCommitted) {
    return failed_precondition("snapshot " + text::quote(key) + " is committed: it has no mounts");
  }
  return mounts_of(s->record.id, s->record.info.kind, s->parent_ids);
}

std::vector<Mount> OverlaySnapshotter::mounts_of(SnapshotId id, SnapshotKind kind,
                                                 const std::vector<SnapshotId>& parent_ids) const {
  const bool view = kind != SnapshotKind::kActive;
  if (parent_ids.empty()) {
    return {Mount{.type = "bind",
                  .source = fs_dir(id).string(),
                  .target = "",
                  .options = {"rbind", view ? "ro" : "rw"}}};
  }
  // A view of a single layer needs no overlay: overlayfs wants two lowerdirs
  // when there is no upperdir.
  if (view && parent_ids.size() == 1) {
    return {Mount{
        .type = "bind", .source = fs_dir(parent_ids[0]).string(), .target = "", .options = {"rbind", "ro"}}};
  }
  std::vector<std::string> options;
  if (index_off_) options.emplace_back("index=off");
  if (!view) {
    options.push_back("workdir=" + work_dir(id).string());
    options.push_back("upperdir=" + fs_dir(id).string());
  }
  std::string lower = "lowerdir=";
  for (std::size_t i = 0; i < parent_ids.size(); ++i) {
    if (i > 0) lower += ':';
    lower += fs_dir(parent_ids[i]).string();
  }
  options.push_back(std::move(lower));
  options.insert(options.end(), options_.mount_options.begin(), options_.mount_options.end());
  return {Mount{.type = "overlay", .source = "overlay", .target = "", .options = std::move(options)}};
}

Result<std::vector<Mount>> OverlaySnapshotter::prepare(std::string_view key, std::string_view parent,
                                                       const Labels& labels) {
  return create(SnapshotKind::kActive, key, parent, labels);
}

Result<std::vector<Mount>> OverlaySnapshotter::view(std::string_view key, std::string_view parent,
                                                    const Labels& labels) {
  return create(SnapshotKind::kView, key, parent, labels);
}

Status OverlaySnapshotter::make_snapshot_dirs(const Reservation& r) {
  BERTH_RETURN_IF_ERROR(files::make_dir(store_->dir_of(r.id), 0700));
  const auto fs = fs_dir(r.id);
  BERTH_RETURN_IF_ERROR(files::make_dir(fs, 0755));
  if (r.kind == SnapshotKind::kActive) BERTH_RETURN_IF_ERROR(files::make_dir(work_dir(r.id), 0711));
  if (!r.parent_ids.empty()) {
    // The root of an overlay takes its owner and mode from the upper
    // directory: give it the parent's, so a layer on a non-root-owned root
    // (a rootless image, say) keeps it.
    const auto parent_fs = fs_dir(r.parent_ids.front());
    struct stat st {};
    if (::stat(parent_fs.c_str(), &st) != 0) return errno_status("stat " + parent_fs.string(), errno);
    if (::chown(fs.c_str(), st.st_uid, st.st_gid) != 0) return errno_status("chown " + fs.string(), errno);
    if (::chmod(fs.c_str(), st.st_mode & 07777) != 0) return errno_status("chmod " + fs.string(), errno);
  }
  return {};
}

Result<std::vector<Mount>> OverlaySnapshotter::create(SnapshotKind kind, std::string_view key,
                                                      std::string_view parent, const Labels& labels) {
  auto reservation =
      store_->create(kind, key, parent, labels, [&](const Reservation& r) { return make_snapshot_dirs(r); });
  if (!reservation.ok()) return reservation.status();
  return mounts_of(reservation->id, kind, reservation->parent_ids);
}

Status OverlaySnapshotter::commit(std::string_view name, std::string_view key, const Labels& labels) {
  // The layer's own files are under fs/, not work/.
  return store_->commit_measured(name, key, labels, [&](SnapshotId id) { return fs_dir(id); });
}

Status OverlaySnapshotter::remove(std::string_view key) { return remove_all({std::string(key)}).front(); }

std::vector<Status> OverlaySnapshotter::remove_all(const std::vector<std::string>& keys) {
  return remove_all_then(*store_, keys, [&](const Record& r, std::string_view key) -> Status {
    if (!options_.sync_remove) return {};  // cleanup() takes the directory
    return files::remove_tree(store_->dir_of(r.id)).with_context("remove snapshot " + text::quote(key));
  });
}

Status OverlaySnapshotter::walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) {
  if (!options_.upperdir_label) return store_->walk(filters, fn);
  return store_->walk(filters, [&](const SnapshotInfo& info) {
    if (info.kind != SnapshotKind::kActive) return fn(info);
    auto s = store_->get(info.name);
    if (!s.ok()) return true;  // removed since the walk began
    return fn(shown(info, s->record.id));
  });
}

Status OverlaySnapshotter::cleanup() { return store_->cleanup(); }

}  // namespace berth::snapshot
