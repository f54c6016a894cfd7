#include "native_snapshotter.hpp"

#include <utility>

#include "copy_tree.hpp"
#include "files/dirs.hpp"
#include "snapshot-storage/disk_usage.hpp"
#include "text/text.hpp"

namespace berth::snapshot {

Result<std::shared_ptr<NativeSnapshotter>> NativeSnapshotter::open(const std::filesystem::path& root) {
  auto store = MetaStore::open(root);
  if (!store.ok()) return store.status();
  return std::shared_ptr<NativeSnapshotter>(new NativeSnapshotter(std::move(store).value()));
}

Result<SnapshotInfo> NativeSnapshotter::stat(std::string_view key) {
  auto s = store_->get(key);
  if (!s.ok()) return s.status();
  return std::move(s->record.info);
}

Result<SnapshotInfo> NativeSnapshotter::update(const SnapshotInfo& info,
                                               const std::vector<std::string>& paths) {
  return store_->update(info, paths);
}

Result<SnapshotUsage> NativeSnapshotter::usage(std::string_view key) {
  auto s = store_->get(key);
  if (!s.ok()) return s.status();
  if (s->record.info.kind == SnapshotKind::kCommitted) return s->record.usage;
  return disk_usage(store_->dir_of(s->record.id));
}

Result<std::vector<Mount>> NativeSnapshotter::mounts(std::string_view key) {
  auto s = store_->get(key);
  if (!s.ok()) return s.status();
  if (s->record.info.kind == SnapshotKind::kCommitted) {
    return failed_precondition("snapshot \"" + std::string(key) + "\" is committed: it has no mounts");
  }
  return mounts_of(s->record);
}

std::vector<Mount> NativeSnapshotter::mounts_of(const Record& record) const {
  const bool ro = record.info.kind != SnapshotKind::kActive;
  return {Mount{.type = "bind",
                .source = store_->dir_of(record.id).string(),
                .target = "",
                .options = {"rbind", ro ? "ro" : "rw"}}};
}

Result<std::vector<Mount>> NativeSnapshotter::prepare(std::string_view key, std::string_view parent,
                                                      const Labels& labels) {
  return create(SnapshotKind::kActive, key, parent, labels);
}

Result<std::vector<Mount>> NativeSnapshotter::view(std::string_view key, std::string_view parent,
                                                   const Labels& labels) {
  return create(SnapshotKind::kView, key, parent, labels);
}

Result<std::vector<Mount>> NativeSnapshotter::create(SnapshotKind kind, std::string_view key,
                                                     std::string_view parent, const Labels& labels) {
  // The copy is complete before the record exists, so a recorded snapshot
  // always has its files.
  auto reservation = store_->create(kind, key, parent, labels, [&](const Reservation& r) -> Status {
    const auto dir = store_->dir_of(r.id);
    BERTH_RETURN_IF_ERROR(files::make_dir(dir, 0755));
    if (r.parent_ids.empty()) return {};
    return copy_tree(store_->dir_of(r.parent_ids.front()), dir);
  });
  if (!reservation.ok()) return reservation.status();
  Record r;
  r.id = reservation->id;
  r.info.kind = kind;
  return mounts_of(r);
}

Status NativeSnapshotter::commit(std::string_view name, std::string_view key, const Labels& labels) {
  return store_->commit_measured(name, key, labels, [&](SnapshotId id) { return store_->dir_of(id); });
}

Status NativeSnapshotter::remove(std::string_view key) { return remove_all({std::string(key)}).front(); }

std::vector<Status> NativeSnapshotter::remove_all(const std::vector<std::string>& keys) {
  // The record is gone first: should removing the directory fail, cleanup()
  // finishes the job.
  return remove_all_then(*store_, keys, [&](const Record& r, std::string_view key) {
    return files::remove_tree(store_->dir_of(r.id)).with_context("remove snapshot " + text::quote(key));
  });
}

Status NativeSnapshotter::walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) {
  return store_->walk(filters, fn);
}

Status NativeSnapshotter::cleanup() { return store_->cleanup(); }

}  // namespace berth::snapshot
