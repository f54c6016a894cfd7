#include "namespaced_snapshots.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <system_error>
#include <utility>

#include "berth/filters.hpp"
#include "berth/log.hpp"
#include "keys.hpp"
#include "kv_util.hpp"
#include "lease_store.hpp"
#include "namespace_store.hpp"

namespace berth::metadata {
namespace {

// Labels with this prefix are handed to the backend too (containerd's
// "inherited" labels); all others live only here.
constexpr std::string_view kBackendLabelPrefix = "containerd.io/snapshot/";

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string quote(std::string_view key) { return "snapshot \"" + keys::printable(key) + "\""; }

Status check_key(std::string_view what, std::string_view key) {
  if (key.empty()) return invalid_argument(std::string(what) + " must not be empty");
  if (key.find(keys::kIdTerminator) != std::string_view::npos)
    return invalid_argument(quote(key) + " holds a NUL byte");
  return {};
}

Labels backend_labels(const Labels& labels) {
  Labels out;
  for (const auto& [k, v] : labels) {
    if (k.starts_with(kBackendLabelPrefix)) out.emplace(k, v);
  }
  return out;
}

std::optional<SnapshotKind> kind_of(std::string_view name) {
  for (auto k : {SnapshotKind::kActive, SnapshotKind::kView, SnapshotKind::kCommitted}) {
    if (name == snapshot_kind_name(k)) return k;
  }
  return std::nullopt;
}

struct Record {
  SnapshotInfo info;
  std::string backend_key;
  std::vector<std::string> children;
  bool exists = false;  // the backend_key field was seen
};

// Folds one field of a snapshot's keys into `r`.
Status read_field(Record& r, std::string_view field, std::string_view value) {
  const std::string what = quote(r.info.name) + " field " + keys::printable(field);
  if (field == keys::kSnapshotBackendKey) {
    r.backend_key = std::string(value);
    r.exists = true;
  } else if (field == keys::kSnapshotKind) {
    auto k = kind_of(value);
    if (!k) return data_loss(what + ": unknown kind \"" + keys::printable(value) + "\"");
    r.info.kind = *k;
  } else if (field == keys::kSnapshotParent) {
    r.info.parent = std::string(value);
  } else if (field == keys::kSnapshotCreatedAt || field == keys::kSnapshotUpdatedAt) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size())
      return data_loss(what + ": not a number: \"" + keys::printable(value) + "\"");
    (field == keys::kSnapshotCreatedAt ? r.info.created_at : r.info.updated_at) = n;
  } else if (auto label = keys::parse_list_field(field, keys::kSnapshotLabels)) {
    r.info.labels.emplace(*label, value);
  } else if (auto child = keys::parse_list_field(field, keys::kSnapshotChildren)) {
    r.children.emplace_back(*child);
  }
  return {};
}

Result<std::optional<Record>> read_record(Transaction& tx, std::string_view ns, std::string_view sn,
                                          std::string_view key) {
  Record r;
  r.info.name = std::string(key);
  const std::string prefix = keys::object_prefix(keys::snapshotter_prefix(ns, sn), key);
  Status failed;
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view k, std::string_view v) {
    failed = read_field(r, k.substr(prefix.size()), v);
    return failed.ok();
  }));
  BERTH_RETURN_IF_ERROR(failed);
  if (!r.exists) return std::optional<Record>();
  return std::optional<Record>(std::move(r));
}

Status put_labels(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view key,
                  const Labels& labels) {
  BERTH_RETURN_IF_ERROR(delete_prefix(tx, keys::snapshot_list_prefix(ns, sn, key, keys::kSnapshotLabels)));
  for (const auto& [k, v] : labels) {
    if (v.empty()) continue;
    std::string lk = keys::snapshot_list_prefix(ns, sn, key, keys::kSnapshotLabels);
    lk += k;
    BERTH_RETURN_IF_ERROR(tx.put(lk, v));
  }
  return {};
}

Status put_record(Transaction& tx, std::string_view ns, std::string_view sn, const SnapshotInfo& info,
                  std::string_view backend_key) {
  auto field = [&](std::string_view f) { return keys::snapshot_key(ns, sn, info.name, f); };
  BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotBackendKey), backend_key));
  BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotKind), snapshot_kind_name(info.kind)));
  if (!info.parent.empty()) BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotParent), info.parent));
  BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotCreatedAt), std::to_string(info.created_at)));
  BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotUpdatedAt), std::to_string(info.updated_at)));
  return put_labels(tx, ns, sn, info.name, info.labels);
}

std::string child_key(std::string_view ns, std::string_view sn, std::string_view parent,
                      std::string_view child) {
  std::string k = keys::snapshot_list_prefix(ns, sn, parent, keys::kSnapshotChildren);
  k += child;
  return k;
}

// The next number of the snapshot sequence, within the caller's transaction.
Result<uint64_t> next_sequence(Transaction& tx) {
  auto cur = tx.get(keys::kSnapshotSequenceKey);
  if (!cur.ok()) return cur.status();
  uint64_t n = 0;
  if (cur->has_value()) {
    const std::string& v = **cur;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size())
      return data_loss("snapshot sequence is not a number: \"" + keys::printable(v) + "\"");
  }
  ++n;
  BERTH_RETURN_IF_ERROR(tx.put(keys::kSnapshotSequenceKey, std::to_string(n)));
  return n;
}

}  // namespace

// One snapshotter seen from one namespace (and lease).
class MetadataSnapshots::View final : public Snapshotter {
 public:
  View(Metadata& md, ContentScope scope, std::string name, std::shared_ptr<Snapshotter> backend)
      : md_(md), scope_(std::move(scope)), sn_(std::move(name)), backend_(std::move(backend)) {}

  Result<SnapshotInfo> stat(std::string_view key) override {
    auto r = existing(key);
    if (!r.ok()) return r.status();
    return std::move(r->info);
  }

  Result<SnapshotInfo> update(const SnapshotInfo& info, const std::vector<std::string>& paths) override {
    BERTH_RETURN_IF_ERROR(check_key("snapshot key", info.name));
    SnapshotInfo out;
    BERTH_RETURN_IF_ERROR(md_.update([&](Transaction& tx) {
      auto r = read_record(tx, scope_.ns, sn_, info.name);
      if (!r.ok()) return r.status();
      if (!r->has_value()) return not_found(quote(info.name) + ": not found");
      out = std::move((*r)->info);
      auto labels = update_labels(out.labels, info.labels, paths, quote(info.name));
      if (!labels.ok()) return labels.status();
      const bool backend_changed = backend_labels(*labels) != backend_labels(out.labels);
      out.labels = std::move(*labels);
      out.updated_at = now_ns();
      BERTH_RETURN_IF_ERROR(put_labels(tx, scope_.ns, sn_, out.name, out.labels));
      BERTH_RETURN_IF_ERROR(tx.put(keys::snapshot_key(scope_.ns, sn_, out.name, keys::kSnapshotUpdatedAt),
                                   std::to_string(out.updated_at)));
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

  Result<SnapshotUsage> usage(std::string_view key) override {
    auto r = existing(key);
    if (!r.ok()) return r.status();
    return backend_->usage(r->backend_key);
  }

  Result<std::vector<Mount>> mounts(std::string_view key) override {
    auto r = existing(key);
    if (!r.ok()) return r.status();
    if (r->info.kind == SnapshotKind::kCommitted)
      return failed_precondition(quote(key) + " is committed; only active snapshots and views have mounts");
    return backend_->mounts(r->backend_key);
  }

  Result<std::vector<Mount>> prepare(std::string_view key, std::string_view parent,
                                     const Labels& labels) override {
    return create(SnapshotKind::kActive, key, parent, labels);
  }
  Result<std::vector<Mount>> view(std::string_view key, std::string_view parent,
                                  const Labels& labels) override {
    return create(SnapshotKind::kView, key, parent, labels);
  }

  Status commit(std::string_view name, std::string_view key, const Labels& labels) override {
    BERTH_RETURN_IF_ERROR(check_key("snapshot name", name));
    BERTH_RETURN_IF_ERROR(check_key("snapshot key", key));
    BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context(quote(name)));
    return md_.update([&](Transaction& tx) -> Status {
      BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope_.ns));
      auto r = read_record(tx, scope_.ns, sn_, key);
      if (!r.ok()) return r.status();
      if (!r->has_value()) return not_found(quote(key) + ": not found");
      const Record& active = **r;
      if (active.info.kind != SnapshotKind::kActive)
        return failed_precondition(quote(key) + " is a " + std::string(snapshot_kind_name(active.info.kind)) +
                                   " snapshot; only an active one can be committed");
      auto clash = read_record(tx, scope_.ns, sn_, name);
      if (!clash.ok()) return clash.status();
      if (clash->has_value()) return already_exists(quote(name) + ": already exists");
      if (scope_.lease) {
        BERTH_RETURN_IF_ERROR(
            md_.leases().add_resource(tx, scope_.ns, *scope_.lease, {std::string(name), resource_type()}));
      }
      auto seq = next_sequence(tx);
      if (!seq.ok()) return seq.status();
      const std::string bkey = backend_key(*seq, name);

      SnapshotInfo info;
      info.name = std::string(name);
      info.parent = active.info.parent;
      info.kind = SnapshotKind::kCommitted;
      info.labels = labels;
      info.created_at = info.updated_at = now_ns();
      BERTH_RETURN_IF_ERROR(
          delete_prefix(tx, keys::object_prefix(keys::snapshotter_prefix(scope_.ns, sn_), key)));
      BERTH_RETURN_IF_ERROR(put_record(tx, scope_.ns, sn_, info, bkey));
      if (!info.parent.empty()) {
        BERTH_RETURN_IF_ERROR(tx.del(child_key(scope_.ns, sn_, info.parent, key)));
        BERTH_RETURN_IF_ERROR(tx.put(child_key(scope_.ns, sn_, info.parent, name), ""));
      }
      // Last: once the backend has committed, the active snapshot is gone
      // there, so nothing may fail after it.
      return backend_->commit(bkey, active.backend_key, backend_labels(labels));
    });
  }

  Status remove(std::string_view key) override {
    BERTH_RETURN_IF_ERROR(check_key("snapshot key", key));
    BERTH_RETURN_IF_ERROR(remove_record(key));
    // A backend may leave the removed snapshot's files for its Cleanup
    // (overlayfs without sync_remove), which containerd's garbage collector
    // calls. Until Berth has one, every remove runs it, so disk space comes
    // back; a failure here loses nothing and the next remove retries.
    if (Status st = backend_->cleanup(); !st.ok())
      log::warn("snapshotter {}: cleanup after removing {}: {}", sn_, keys::printable(key), st.to_string());
    return {};
  }

 private:
  Status remove_record(std::string_view key) {
    return md_.update([&](Transaction& tx) -> Status {
      auto r = read_record(tx, scope_.ns, sn_, key);
      if (!r.ok()) return r.status();
      if (!r->has_value()) return not_found(quote(key) + ": not found");
      if (!(*r)->children.empty())
        return failed_precondition("cannot remove " + quote(key) + ": it has a child, " +
                                   quote((*r)->children.front()));
      BERTH_RETURN_IF_ERROR(
          delete_prefix(tx, keys::object_prefix(keys::snapshotter_prefix(scope_.ns, sn_), key)));
      if (!(*r)->info.parent.empty())
        BERTH_RETURN_IF_ERROR(tx.del(child_key(scope_.ns, sn_, (*r)->info.parent, key)));
      // A backend that lost the snapshot already (a crash between its remove
      // and ours) must not keep the record alive forever.
      Status st = backend_->remove((*r)->backend_key);
      if (!st.ok() && st.code() != Code::kNotFound) return st;
      return Status();
    });
  }

 public:
  Status walk(const std::vector<std::string>& filters, const SnapshotWalkFn& fn) override {
    auto filter = Filter::parse(filters);
    if (!filter.ok()) return filter.status();
    std::vector<SnapshotInfo> found;  // handed out after the transaction, so fn may call back
    BERTH_RETURN_IF_ERROR(md_.view([&](Transaction& tx) {
      const std::string prefix = keys::snapshotter_prefix(scope_.ns, sn_);
      std::optional<Record> current;
      auto finish = [&] {
        if (current && current->exists) found.push_back(std::move(current->info));
        current.reset();
      };
      Status failed;
      BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view k, std::string_view v) {
        auto parsed = keys::parse_object_key(prefix, k);
        if (!parsed) return true;
        if (!current || current->info.name != parsed->id) {
          finish();
          current.emplace();
          current->info.name = std::string(parsed->id);
        }
        failed = read_field(*current, parsed->field, v);
        return failed.ok();
      }));
      BERTH_RETURN_IF_ERROR(failed);
      finish();
      return Status();
    }));
    for (const auto& info : found) {
      if (!filter->match([&](const std::vector<std::string>& path) { return snapshot_field(info, path); }))
        continue;
      if (!fn(info)) break;
    }
    return {};
  }

  Status cleanup() override { return backend_->cleanup(); }

 private:
  [[nodiscard]] std::string resource_type() const { return std::string(keys::kSnapshots) + "/" + sn_; }

  [[nodiscard]] std::string backend_key(uint64_t seq, std::string_view key) const {
    std::string k = scope_.ns;
    k += '/';
    k += std::to_string(seq);
    k += '/';
    k += key;
    return k;
  }

  Result<Record> existing(std::string_view key) {
    BERTH_RETURN_IF_ERROR(check_key("snapshot key", key));
    Record out;
    BERTH_RETURN_IF_ERROR(md_.view([&](Transaction& tx) -> Status {
      auto r = read_record(tx, scope_.ns, sn_, key);
      if (!r.ok()) return r.status();
      if (!r->has_value()) return not_found(quote(key) + ": not found");
      out = std::move(**r);
      return Status();
    }));
    return out;
  }

  Result<std::vector<Mount>> create(SnapshotKind kind, std::string_view key, std::string_view parent,
                                    const Labels& labels) {
    BERTH_RETURN_IF_ERROR(check_key("snapshot key", key));
    if (!parent.empty()) BERTH_RETURN_IF_ERROR(check_key("parent", parent));
    BERTH_RETURN_IF_ERROR(validate_labels(labels).with_context(quote(key)));
    std::vector<Mount> mounts;
    std::string made;  // the backend key, once the backend has the snapshot
    Status st = md_.update([&](Transaction& tx) -> Status {
      BERTH_RETURN_IF_ERROR(ensure_namespace(tx, scope_.ns));
      auto clash = read_record(tx, scope_.ns, sn_, key);
      if (!clash.ok()) return clash.status();
      if (clash->has_value()) return already_exists(quote(key) + ": already exists");
      std::string parent_bkey;
      if (!parent.empty()) {
        auto p = read_record(tx, scope_.ns, sn_, parent);
        if (!p.ok()) return p.status();
        if (!p->has_value()) return not_found("parent " + quote(parent) + " does not exist");
        if ((*p)->info.kind != SnapshotKind::kCommitted)
          return failed_precondition("parent " + quote(parent) + " is not committed");
        parent_bkey = (*p)->backend_key;
      }
      if (scope_.lease) {
        BERTH_RETURN_IF_ERROR(
            md_.leases().add_resource(tx, scope_.ns, *scope_.lease, {std::string(key), resource_type()}));
      }
      auto seq = next_sequence(tx);
      if (!seq.ok()) return seq.status();
      const std::string bkey = backend_key(*seq, key);

      SnapshotInfo info;
      info.name = std::string(key);
      info.parent = std::string(parent);
      info.kind = kind;
      info.labels = labels;
      info.created_at = info.updated_at = now_ns();
      BERTH_RETURN_IF_ERROR(put_record(tx, scope_.ns, sn_, info, bkey));
      if (!parent.empty()) BERTH_RETURN_IF_ERROR(tx.put(child_key(scope_.ns, sn_, parent, key), ""));

      auto m = kind == SnapshotKind::kActive ? backend_->prepare(bkey, parent_bkey, backend_labels(labels))
                                             : backend_->view(bkey, parent_bkey, backend_labels(labels));
      if (!m.ok()) return m.status();
      made = bkey;
      mounts = std::move(*m);
      return Status();
    });
    if (!st.ok()) {
      // The records were not written: the backend's snapshot must go too.
      if (!made.empty()) {
        if (Status undo = backend_->remove(made); !undo.ok())
          log::warn("snapshotter {}: cannot remove {} after a failed record: {}", sn_, made,
                    undo.to_string());
      }
      return st;
    }
    return mounts;
  }

  Metadata& md_;
  const ContentScope scope_;
  const std::string sn_;
  std::shared_ptr<Snapshotter> backend_;
};

void MetadataSnapshots::add_backend(std::string name, std::shared_ptr<Snapshotter> backend) {
  backends_[std::move(name)] = std::move(backend);
}

std::vector<std::string> MetadataSnapshots::names() const {
  std::vector<std::string> out;
  out.reserve(backends_.size());
  for (const auto& [name, _] : backends_) out.push_back(name);
  return out;
}

Result<std::unique_ptr<Snapshotter>> MetadataSnapshots::get(const ContentScope& scope,
                                                            std::string_view name) {
  BERTH_RETURN_IF_ERROR(validate_identifier(scope.ns).with_context("namespace"));
  if (scope.lease) BERTH_RETURN_IF_ERROR(validate_lease_id(*scope.lease));
  auto it = backends_.find(name);
  if (it == backends_.end()) {
    std::string have;
    for (const auto& [n, _] : backends_) have += (have.empty() ? "" : ", ") + n;
    return not_found("snapshotter " + std::string(name) +
                     " was not found (loaded: " + (have.empty() ? "none" : have) + ")");
  }
  return std::unique_ptr<Snapshotter>(std::make_unique<View>(md_, scope, it->first, it->second));
}

}  // namespace berth::metadata
