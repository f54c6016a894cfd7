#include "snapshot_records.hpp"

#include <charconv>
#include <system_error>
#include <utility>

#include "keys.hpp"
#include "kv_util.hpp"

namespace berth::metadata {
namespace {

std::optional<SnapshotKind> kind_of(std::string_view name) {
  for (auto k : {SnapshotKind::kActive, SnapshotKind::kView, SnapshotKind::kCommitted}) {
    if (name == snapshot_kind_name(k)) return k;
  }
  return std::nullopt;
}

// A record being read, field by field.
struct Reading {
  SnapshotRecord record;
  bool exists = false;  // the backend_key field was seen
};

// Folds one field of a snapshot's keys into `r`.
Status read_field(Reading& r, std::string_view field, std::string_view value) {
  SnapshotInfo& info = r.record.info;
  const std::string what = quote_snapshot(info.name) + " field " + keys::printable(field);
  if (field == keys::kSnapshotBackendKey) {
    r.record.backend_key = std::string(value);
    r.exists = true;
  } else if (field == keys::kSnapshotKind) {
    auto k = kind_of(value);
    if (!k) return data_loss(what + ": unknown kind \"" + keys::printable(value) + "\"");
    info.kind = *k;
  } else if (field == keys::kSnapshotParent) {
    info.parent = std::string(value);
  } else if (field == keys::kSnapshotCreatedAt || field == keys::kSnapshotUpdatedAt) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size())
      return data_loss(what + ": not a number: \"" + keys::printable(value) + "\"");
    (field == keys::kSnapshotCreatedAt ? info.created_at : info.updated_at) = n;
  } else if (auto label = keys::parse_list_field(field, keys::kSnapshotLabels)) {
    info.labels.emplace(*label, value);
  } else if (auto child = keys::parse_list_field(field, keys::kSnapshotChildren)) {
    r.record.children.emplace_back(*child);
  }
  return {};
}

std::string child_key(std::string_view ns, std::string_view sn, std::string_view parent,
                      std::string_view child) {
  std::string k = keys::snapshot_list_prefix(ns, sn, parent, keys::kSnapshotChildren);
  k += child;
  return k;
}

Status put_labels(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view key,
                  const Labels& labels) {
  const std::string prefix = keys::snapshot_list_prefix(ns, sn, key, keys::kSnapshotLabels);
  BERTH_RETURN_IF_ERROR(delete_prefix(tx, prefix));
  for (const auto& [k, v] : labels) {
    if (!v.empty()) BERTH_RETURN_IF_ERROR(tx.put(prefix + k, v));
  }
  return {};
}

}  // namespace

std::string quote_snapshot(std::string_view key) { return "snapshot \"" + keys::printable(key) + "\""; }

Status check_snapshot_key(std::string_view what, std::string_view key) {
  if (key.empty()) return invalid_argument(std::string(what) + " must not be empty");
  if (key.find(keys::kIdTerminator) != std::string_view::npos)
    return invalid_argument(quote_snapshot(key) + " holds a NUL byte");
  return {};
}

Result<std::optional<SnapshotRecord>> read_snapshot(Transaction& tx, std::string_view ns, std::string_view sn,
                                                    std::string_view key) {
  Reading r;
  r.record.info.name = std::string(key);
  const std::string prefix = keys::object_prefix(keys::snapshotter_prefix(ns, sn), key);
  Status failed;
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view k, std::string_view v) {
    failed = read_field(r, k.substr(prefix.size()), v);
    return failed.ok();
  }));
  BERTH_RETURN_IF_ERROR(failed);
  if (!r.exists) return std::optional<SnapshotRecord>();
  return std::optional<SnapshotRecord>(std::move(r.record));
}

Result<std::vector<SnapshotInfo>> list_snapshots(Transaction& tx, std::string_view ns, std::string_view sn) {
  // One snapshot's keys are contiguous and snapshots come in key order
  // (keys.hpp), so each record is complete when the next key starts.
  const std::string prefix = keys::snapshotter_prefix(ns, sn);
  std::vector<SnapshotInfo> found;
  std::optional<Reading> current;
  auto finish = [&] {
    if (current && current->exists) found.push_back(std::move(current->record.info));
    current.reset();
  };
  Status failed;
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view k, std::string_view v) {
    auto parsed = keys::parse_object_key(prefix, k);
    if (!parsed) return true;
    if (!current || current->record.info.name != parsed->id) {
      finish();
      current.emplace();
      current->record.info.name = std::string(parsed->id);
    }
    failed = read_field(*current, parsed->field, v);
    return failed.ok();
  }));
  BERTH_RETURN_IF_ERROR(failed);
  finish();
  return found;
}

Status put_snapshot(Transaction& tx, std::string_view ns, std::string_view sn, const SnapshotInfo& info,
                    std::string_view backend_key) {
  auto field = [&](std::string_view f) { return keys::snapshot_key(ns, sn, info.name, f); };
  BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotBackendKey), backend_key));
  BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotKind), snapshot_kind_name(info.kind)));
  if (!info.parent.empty()) BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotParent), info.parent));
  BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotCreatedAt), std::to_string(info.created_at)));
  BERTH_RETURN_IF_ERROR(tx.put(field(keys::kSnapshotUpdatedAt), std::to_string(info.updated_at)));
  return put_labels(tx, ns, sn, info.name, info.labels);
}

Status put_snapshot_labels(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view key,
                           const Labels& labels, TimestampNs updated_at) {
  BERTH_RETURN_IF_ERROR(put_labels(tx, ns, sn, key, labels));
  return tx.put(keys::snapshot_key(ns, sn, key, keys::kSnapshotUpdatedAt), std::to_string(updated_at));
}

Status delete_snapshot(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view key) {
  return delete_prefix(tx, keys::object_prefix(keys::snapshotter_prefix(ns, sn), key));
}

Status add_child(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view parent,
                 std::string_view child) {
  return tx.put(child_key(ns, sn, parent, child), "");
}

Status remove_child(Transaction& tx, std::string_view ns, std::string_view sn, std::string_view parent,
                    std::string_view child) {
  return tx.del(child_key(ns, sn, parent, child));
}

Result<uint64_t> next_snapshot_sequence(Transaction& tx) {
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

}  // namespace berth::metadata
