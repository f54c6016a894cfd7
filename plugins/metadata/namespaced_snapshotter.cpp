#include "namespaced_snapshotter.hpp"

#include <utility>

#include "announce.hpp"
#include "berth/filters.hpp"
#include "berth/log.hpp"
#include "clock/clock.hpp"
#include "keys.hpp"
#include "namespace_store.hpp"

namespace berth::metadata {
namespace {

// Labels with this prefix are handed to the backend too (containerd's
// "inherited" labels); all others live only here.
constexpr std::string_view kBackendLabelPrefix = "containerd.io/snapshot/";

Labels backend_labels(const Labels& labels) {
  Labels out;
  for (const auto& [k, v] : labels) {
    if (k.starts_with(kBackendLabelPrefix)) out.emplace(k, v);
  }
  return out;
}

Status not_found_key(std::string_view key) { return not_found(quote_snapshot(key) + ": not found"); }

}  // namespace

NamespacedSnapshotter::NamespacedSnapshotter(Metadata& md, LeaseStore& leases, ContentScope scope,
                                             std::string name, std::shared_ptr<Snapshotter> backend,
                                             std::shared_ptr<EventPublisher> events)
    : md_(md),
      leases_(leases),
      scope_(std::move(scope)),
      sn_(std::move(name)),
      backend_(std::move(backend)),
      events_(std::move(events)) {}

Result<SnapshotInfo> NamespacedSnapshotter::stat(std::string_view key) {
  auto r = existing(key);
  if (!r.ok()) return r.status();
  return std::move(r->info);
}

Result<SnapshotInfo> NamespacedSnapshotter::update(const SnapshotInfo& info,
                                                   const std::vector<std::string>& paths) {
  BERTH_RETURN_IF_ERROR(check_snapshot_key("snapshot key", info.name));
  SnapshotInfo out;
  BERTH_RETURN_IF_ERROR(md_.update([&](Transaction& tx) {
    auto r = read_snapshot(tx, scope_.ns, sn_, info.name);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return not_found_key(info.name);
    out = std::move((*r)->info);
    auto labels = update_labels(out.labels, info.labels, paths, quote_snapshot(info.name));
    if (!labels.ok()) return labels.status();
    const bool backend_changed = backend_labels(*labels) != backend_labels(out.labels);
    out.labels = std::move(*labels);
    out.updated_at = clock::now_ns();
    BERTH_RETURN_IF_ERROR(put_snapshot_labels(tx, scope_.ns, sn_, out.name, out.labels, out.updated_at));
    if (backend_changed) {
      SnapshotInfo b;
      b.name = (*r)->backend_key;
      b.labels = backend_labels(out.labels);
      BERTH_RETURN_IF_ERROR(backend_->update(b, {"labels"}).status());
    }
    return Status();
  }));
  return out;
}

Result<SnapshotUsage> NamespacedSnapshotter::usage(std::string_view key) {
  auto r = existing(key);
  if (!r.ok()) return r.status();
  return backend_->usage(r->backend_key);
}

Result<std::vector<Mount>> NamespacedSnapshotter::mounts(std::string_view key) {
  auto r = existing(key);
  if (!r.ok()) return r.status();
  if (r->info.kind == SnapshotKind::kCommitted)
    return failed_precondition(quote_snapshot(key) +
                               " is committed; only active snapshots and views have mounts");
  return backend_->mounts(r->backend_key);
}

Result<std::vector<Mount>> NamespacedSnapshotter::prepare(std::string_view key, std::string_view parent,
                                                          const Labels& labels) {
  return create(SnapshotKind::kActive, key, parent, labels);
}

Result<std::vector<Mount>> NamespacedSnapshotter::view(std::string_view key, std::string_view parent,
                                                       const Labels& labels) {
  return create(SnapshotKind::kView, key, parent, labels);
}

Status NamespacedSnapshotter::commit(std::string_view name, std::string_view key, const Labels& labels) {
  BERTH_RETURN_IF_ERROR(check_snapshot_key("snapshot name", name));
  BERTH_RETURN_IF_ERROR(check_snapshot_key("snapshot key", key));
  BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context(quote_snapshot(name)));
  return md_.update([&](Transaction& tx) -> Status {
    BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope_.ns));
    auto r = read_snapshot(tx, scope_.ns, sn_, key);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return not_found_key(key);
    const SnapshotRecord& active = **r;
    if (active.info.kind != SnapshotKind::kActive)
      return failed_precondition(quote_snapshot(key) + " is a " +
                                 std::string(snapshot_kind_name(active.info.kind)) +
                                 " snapshot; only an active one can be committed");
    auto clash = read_snapshot(tx, scope_.ns, sn_, name);
    if (!clash.ok()) return clash.status();
    if (clash->has_value()) return already_exists(quote_snapshot(name) + ": already exists");
    if (scope_.lease) {
      BERTH_RETURN_IF_ERROR(
          leases_.add_resource(tx, scope_.ns, *scope_.lease, {std::string(name), resource_type()}));
    }
    auto seq = next_snapshot_sequence(tx);
    if (!seq.ok()) return seq.status();
    const std::string bkey = backend_key(*seq, name);

    SnapshotInfo info;
    info.name = std::string(name);
    info.parent = active.info.parent;
    info.kind = SnapshotKind::kCommitted;
    info.labels = labels;
    info.created_at = info.updated_at = clock::now_ns();
    BERTH_RETURN_IF_ERROR(delete_snapshot(tx, scope_.ns, sn_, key));
    BERTH_RETURN_IF_ERROR(put_snapshot(tx, scope_.ns, sn_, info, bkey));
    if (!info.parent.empty()) {
      BERTH_RETURN_IF_ERROR(remove_child(tx, scope_.ns, sn_, info.parent, key));
      BERTH_RETURN_IF_ERROR(add_child(tx, scope_.ns, sn_, info.parent, name));
    }
    announce(tx, events_, scope_.ns, events::kSnapshotCommitTopic,
             events::SnapshotCommit{.key = std::string(key), .name = std::string(name)});
    // Last: once the backend has committed, the active snapshot is gone
    // there, so nothing may fail after it.
    return backend_->commit(bkey, active.backend_key, backend_labels(labels));
  });
}

Status NamespacedSnapshotter::remove(std::string_view key) {
  BERTH_RETURN_IF_ERROR(check_snapshot_key("snapshot key", key));
  // The backend snapshot goes with the record; what the backend leaves for
  // its cleanup (overlayfs without sync_remove) the garbage collector takes.
  return remove_record(key);
}

Status NamespacedSnapshotter::walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) {
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();
  std::vector<SnapshotInfo> found;  // handed out after the transaction, so fn may call back
  BERTH_RETURN_IF_ERROR(md_.view([&](Transaction& tx) {
    auto all = list_snapshots(tx, scope_.ns, sn_);
    if (!all.ok()) return all.status();
    found = std::move(*all);
    return Status();
  }));
  for (const auto& info : found) {
    if (!filter->match([&](const std::vector<std::string>& path) { return snapshot_field(info, path); }))
      continue;
    if (!fn(info)) break;
  }
  return {};
}

Status NamespacedSnapshotter::cleanup() { return backend_->cleanup(); }

std::string NamespacedSnapshotter::resource_type() const { return std::string(keys::kSnapshots) + "/" + sn_; }

std::string NamespacedSnapshotter::backend_key(uint64_t seq, std::string_view key) const {
  std::string k = scope_.ns;
  k += '/';
  k += std::to_string(seq);
  k += '/';
  k += key;
  return k;
}

Result<SnapshotRecord> NamespacedSnapshotter::existing(std::string_view key) {
  BERTH_RETURN_IF_ERROR(check_snapshot_key("snapshot key", key));
  SnapshotRecord out;
  BERTH_RETURN_IF_ERROR(md_.view([&](Transaction& tx) -> Status {
    auto r = read_snapshot(tx, scope_.ns, sn_, key);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return not_found_key(key);
    out = std::move(**r);
    return Status();
  }));
  return out;
}

Status NamespacedSnapshotter::remove_record(std::string_view key) {
  return md_.update([&](Transaction& tx) -> Status {
    auto r = read_snapshot(tx, scope_.ns, sn_, key);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return not_found_key(key);
    if (!(*r)->children.empty())
      return failed_precondition("cannot remove " + quote_snapshot(key) + ": it has a child, " +
                                 quote_snapshot((*r)->children.front()));
    BERTH_RETURN_IF_ERROR(delete_snapshot(tx, scope_.ns, sn_, key));
    if (!(*r)->info.parent.empty())
      BERTH_RETURN_IF_ERROR(remove_child(tx, scope_.ns, sn_, (*r)->info.parent, key));
    // A backend that lost the snapshot already (a crash between its remove
    // and ours) must not keep the record alive forever.
    Status st = backend_->remove((*r)->backend_key);
    if (!st.ok() && st.code() != Code::kNotFound) return st;
    announce(tx, events_, scope_.ns, events::kSnapshotRemoveTopic,
             events::SnapshotRemove{.key = std::string(key)});
    return Status();
  });
}

Result<std::vector<Mount>> NamespacedSnapshotter::create(SnapshotKind kind, std::string_view key,
                                                         std::string_view parent, const Labels& labels) {
  BERTH_RETURN_IF_ERROR(check_snapshot_key("snapshot key", key));
  if (!parent.empty()) BERTH_RETURN_IF_ERROR(check_snapshot_key("parent", parent));
  BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context(quote_snapshot(key)));
  std::vector<Mount> mounts;
  std::string made;  // the backend key, once the backend has the snapshot
  Status st = md_.update([&](Transaction& tx) -> Status {
    BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope_.ns));
    auto clash = read_snapshot(tx, scope_.ns, sn_, key);
    if (!clash.ok()) return clash.status();
    if (clash->has_value()) return already_exists(quote_snapshot(key) + ": already exists");
    std::string parent_bkey;
    if (!parent.empty()) {
      auto p = read_snapshot(tx, scope_.ns, sn_, parent);
      if (!p.ok()) return p.status();
      if (!p->has_value()) return not_found("parent " + quote_snapshot(parent) + " does not exist");
      if ((*p)->info.kind != SnapshotKind::kCommitted)
        return failed_precondition("parent " + quote_snapshot(parent) + " is not committed");
      parent_bkey = (*p)->backend_key;
    }
    if (scope_.lease) {
      BERTH_RETURN_IF_ERROR(
          leases_.add_resource(tx, scope_.ns, *scope_.lease, {std::string(key), resource_type()}));
    }
    auto seq = next_snapshot_sequence(tx);
    if (!seq.ok()) return seq.status();
    const std::string bkey = backend_key(*seq, key);

    SnapshotInfo info;
    info.name = std::string(key);
    info.parent = std::string(parent);
    info.kind = kind;
    info.labels = labels;
    info.created_at = info.updated_at = clock::now_ns();
    BERTH_RETURN_IF_ERROR(put_snapshot(tx, scope_.ns, sn_, info, bkey));
    if (!parent.empty()) BERTH_RETURN_IF_ERROR(add_child(tx, scope_.ns, sn_, parent, key));

    auto m = kind == SnapshotKind::kActive ? backend_->prepare(bkey, parent_bkey, backend_labels(labels))
                                           : backend_->view(bkey, parent_bkey, backend_labels(labels));
    if (!m.ok()) return m.status();
    made = bkey;
    mounts = std::move(*m);
    // Views are not announced, as containerd does not.
    if (kind == SnapshotKind::kActive) {
      announce(tx, events_, scope_.ns, events::kSnapshotPrepareTopic,
               events::SnapshotPrepare{.key = std::string(key), .parent = std::string(parent)});
    }
    return Status();
  });
  if (!st.ok()) {
    // The records were not written: the backend's snapshot must go too
    // (unless a collection, finding it without a record, took it first).
    if (!made.empty()) {
      if (Status undo = backend_->remove(made); !undo.ok() && undo.code() != Code::kNotFound)
        log::warn("snapshotter {}: cannot remove {} after a failed record: {}", sn_, made, undo.to_string());
    }
    return st;
  }
  return mounts;
}

}  // namespace berth::metadata
