#include "gc_refs.hpp"

#include <deque>
#include <utility>

#include "blob_records.hpp"
#include "clock/clock.hpp"
#include "container_record.hpp"
#include "image_record.hpp"
#include "keys.hpp"
#include "snapshot_records.hpp"

namespace berth::metadata::gc {
namespace {

constexpr std::string_view kContentResource = "content";
constexpr std::string_view kIngestsResource = "ingests";
constexpr std::string_view kSnapshotsResourcePrefix = "snapshots/";

std::string snapshot_id(std::string_view sn, std::string_view key) {
  std::string id(sn);
  id += '/';
  id += key;
  return id;
}

// "<sn>/<key>" split at the first '/'.
std::pair<std::string_view, std::string_view> split_snapshot_id(std::string_view id) {
  const std::size_t slash = id.find('/');
  if (slash == std::string_view::npos) return {id, {}};
  return {id.substr(0, slash), id.substr(slash + 1)};
}

// The labels under `prefix` (which ends in "labels\0").
Result<Labels> read_labels(Transaction& tx, const std::string& prefix) {
  Labels out;
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view k, std::string_view v) {
    out.emplace(k.substr(prefix.size()), v);
    return true;
  }));
  return out;
}

bool is_gc_label_field(std::string_view field) {
  auto label = keys::parse_list_field(field, "labels");
  return label && label->starts_with("containerd.io/gc.");
}

}  // namespace

void label_refs(std::string_view ns, const Labels& labels, const std::function<void(Node)>& emit) {
  // Labels come sorted, so each family is one contiguous range.
  for (auto it = labels.lower_bound(std::string(kContentRefLabel));
       it != labels.end() && it->first.starts_with(kContentRefLabel); ++it) {
    const std::string_view rest = std::string_view(it->first).substr(kContentRefLabel.size());
    // containerd.io/gc.ref.content, or a name after '.' or '/'; not gc.ref.contentX.
    if (!rest.empty() && rest.front() != '.' && rest.front() != '/') continue;
    emit(Node{Kind::kContent, std::string(ns), it->second});
  }
  for (auto it = labels.lower_bound(std::string(kSnapshotRefLabel));
       it != labels.end() && it->first.starts_with(kSnapshotRefLabel); ++it) {
    std::string_view sn = std::string_view(it->first).substr(kSnapshotRefLabel.size());
    if (const std::size_t slash = sn.find('/'); slash != std::string_view::npos) sn = sn.substr(0, slash);
    if (sn.empty()) continue;
    emit(Node{Kind::kSnapshot, std::string(ns), snapshot_id(sn, it->second)});
  }
}

bool lease_expired(const Labels& labels, int64_t now_ns) {
  auto it = labels.find(std::string(kExpireLabel));
  if (it == labels.end()) return false;
  auto at = clock::parse_rfc3339(it->second);
  return at && *at < now_ns;
}

std::optional<Node> object_of_key(std::string_view key) {
  if (!key.starts_with(keys::kObjectsRoot)) return std::nullopt;
  std::string_view rest = key.substr(keys::kObjectsRoot.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  Node n;
  n.ns = std::string(rest.substr(0, slash));
  rest.remove_prefix(slash + 1);
  auto take = [&](std::string_view kind, Kind k) {
    std::string prefix(kind);
    prefix += '/';
    if (!rest.starts_with(prefix)) return false;
    std::string_view id = rest.substr(prefix.size());
    const std::size_t end = id.find(keys::kIdTerminator);
    if (end == std::string_view::npos) return false;
    n.kind = k;
    n.id = std::string(id.substr(0, end));
    return true;
  };
  if (take(keys::kImages, Kind::kImage) || take(keys::kContainers, Kind::kContainer) ||
      take(keys::kBlobs, Kind::kContent) || take(keys::kIngests, Kind::kIngest) ||
      take(keys::kLeases, Kind::kLease) || take(keys::kSnapshots, Kind::kSnapshot)) {
    // A snapshot's id is "<sn>/<key>" already: the snapshotter is the first
    // component after "snapshots/".
    return n;
  }
  return std::nullopt;
}

bool drops_reference(std::string_view key) {
  auto node = object_of_key(key);
  if (!node) return false;
  const std::size_t end = key.find(keys::kIdTerminator);
  const std::string_view field = key.substr(end + 1);
  if (is_gc_label_field(field)) return true;
  switch (node->kind) {
    case Kind::kImage:
      return field == keys::kImageRecord;
    case Kind::kContainer:
      return field == keys::kContainerRecord;
    case Kind::kContent:
      return field == keys::kBlobSize;
    case Kind::kIngest:
      // An ingest goes when it is committed or aborted, and takes its data
      // with it: nothing is left for a collection.
      return false;
    case Kind::kSnapshot:
      return field == keys::kSnapshotBackendKey;
    case Kind::kLease:
      if (field == keys::kLeaseCreatedAt) return true;
      if (auto resource = keys::parse_lease_resource_field(field)) return resource->type != kIngestsResource;
      return false;
  }
  return false;
}

Result<std::vector<std::string>> namespaces(Transaction& tx) {
  std::vector<std::string> names;
  BERTH_RETURN_IF_ERROR(tx.scan(keys::kNamespacesPrefix, [&](std::string_view key, std::string_view) {
    std::string_view name = key.substr(keys::kNamespacesPrefix.size());
    if (name.find('/') == std::string_view::npos) names.emplace_back(name);
    return true;
  }));
  return names;
}

Result<Inventory> scan(Transaction& tx, int64_t now_ns) {
  auto names = namespaces(tx);
  if (!names.ok()) return names.status();
  Inventory inv;
  for (const std::string& ns : *names) {
    // Images and containers are roots; their references are read when marked.
    for (auto [kind, k] :
         {std::pair{keys::kImages, Kind::kImage}, std::pair{keys::kContainers, Kind::kContainer}}) {
      const std::string prefix = keys::kind_prefix(ns, kind);
      BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view) {
        auto parsed = keys::parse_object_key(prefix, key);
        if (parsed && parsed->field == "record") inv.roots.push_back(Node{k, ns, std::string(parsed->id)});
        return true;
      }));
    }

    // Leases: a root unless expired; an expired one is collectable.
    {
      const std::string prefix = keys::kind_prefix(ns, keys::kLeases);
      std::map<std::string, Labels> leases;
      BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
        auto parsed = keys::parse_object_key(prefix, key);
        if (!parsed) return true;
        if (parsed->field == keys::kLeaseCreatedAt) {
          leases[std::string(parsed->id)];
        } else if (auto label = keys::parse_lease_label_field(parsed->field)) {
          leases[std::string(parsed->id)].emplace(*label, value);
        }
        return true;
      }));
      for (auto& [id, labels] : leases) {
        Node n{Kind::kLease, ns, id};
        if (lease_expired(labels, now_ns)) {
          inv.collectable.push_back(std::move(n));
        } else {
          inv.roots.push_back(std::move(n));
        }
      }
    }

    // Blobs: collectable; a root when labelled gc.root.
    {
      const std::string prefix = keys::kind_prefix(ns, keys::kBlobs);
      BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view) {
        auto parsed = keys::parse_object_key(prefix, key);
        if (!parsed) return true;
        Node n{Kind::kContent, ns, std::string(parsed->id)};
        if (parsed->field == keys::kBlobSize) {
          inv.blobs[n.id].insert(ns);
          inv.collectable.push_back(std::move(n));
        } else if (keys::parse_list_field(parsed->field, keys::kBlobLabels) == kRootLabel) {
          inv.roots.push_back(std::move(n));
        }
        return true;
      }));
    }

    // Ingests: collectable; a root unless a lease holds it (the lease then
    // keeps it while it lives, as containerd's do).
    {
      const std::string prefix = keys::kind_prefix(ns, keys::kIngests);
      std::map<std::string, bool> leased;
      BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view) {
        auto parsed = keys::parse_object_key(prefix, key);
        if (!parsed) return true;
        if (parsed->field == keys::kIngestBackendRef) leased.try_emplace(std::string(parsed->id), false);
        if (parsed->field == keys::kIngestLease) leased[std::string(parsed->id)] = true;
        return true;
      }));
      for (auto& [ref, has_lease] : leased) {
        Node n{Kind::kIngest, ns, ref};
        if (!has_lease) inv.roots.push_back(n);
        inv.collectable.push_back(std::move(n));
      }
    }

    // Snapshots of every snapshotter: collectable; a root when labelled gc.root.
    {
      const std::string prefix = keys::kind_prefix(ns, keys::kSnapshots);
      BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
        auto parsed = keys::parse_object_key(prefix, key);
        if (!parsed) return true;
        auto [sn, skey] = split_snapshot_id(parsed->id);
        if (skey.empty()) return true;
        Node n{Kind::kSnapshot, ns, std::string(parsed->id)};
        if (parsed->field == keys::kSnapshotBackendKey) {
          inv.backend_keys[std::string(sn)].emplace(std::string(value), n);
          inv.collectable.push_back(std::move(n));
        } else if (keys::parse_list_field(parsed->field, keys::kSnapshotLabels) == kRootLabel) {
          inv.roots.push_back(std::move(n));
        }
        return true;
      }));
    }
  }
  return inv;
}

Status Marker::mark(const Node& start, bool start_flat) { return walk(start, start_flat, false); }

Status Marker::remark(const Node& n) { return walk(n, false, true); }

Status Marker::walk(const Node& start, bool start_flat, bool force) {
  std::deque<std::pair<Node, bool>> queue{{start, start_flat}};
  for (bool first = true; !queue.empty(); first = false) {
    auto [n, flat] = std::move(queue.front());
    queue.pop_front();
    auto it = seen_.find(n);
    // Nothing new to follow, unless the start was written since it was followed.
    if (it != seen_.end() && (it->second || flat) && !(first && force)) continue;
    seen_[n] = it != seen_.end() ? (it->second || !flat) : !flat;
    BERTH_RETURN_IF_ERROR(
        refs(n, flat, [&](Node next, bool next_flat) { queue.emplace_back(std::move(next), next_flat); }));
  }
  return {};
}

Status Marker::refs(const Node& n, bool flat, const std::function<void(Node, bool)>& emit) {
  auto full = [&](Node next) { emit(std::move(next), false); };
  switch (n.kind) {
    case Kind::kContent: {
      if (flat) return {};
      auto labels = read_labels(*tx_, keys::blob_labels_prefix(n.ns, n.id));
      if (!labels.ok()) return labels.status();
      label_refs(n.ns, *labels, full);
      return {};
    }
    case Kind::kSnapshot: {
      auto [sn, key] = split_snapshot_id(n.id);
      auto record = read_snapshot(*tx_, n.ns, sn, key);
      if (!record.ok()) return record.status();
      if (!record->has_value()) return {};  // a dead edge
      const SnapshotInfo& info = (*record)->info;
      if (!info.parent.empty()) emit(Node{Kind::kSnapshot, n.ns, snapshot_id(sn, info.parent)}, flat);
      if (!flat) label_refs(n.ns, info.labels, full);
      return {};
    }
    case Kind::kLease: {
      // One pass over the lease (collections mark every live lease, and
      // clients may keep thousands): its labels sort before its resources,
      // so by the first resource it is known whether it has expired and
      // whether it is flat.
      const std::string prefix = keys::object_prefix(keys::kind_prefix(n.ns, keys::kLeases), n.id);
      Labels labels;
      std::optional<bool> lease_flat;  // set at the first resource of a lease not expired
      return tx_->scan(prefix, [&](std::string_view key, std::string_view value) {
        const std::string_view field = key.substr(prefix.size());
        if (auto label = keys::parse_lease_label_field(field)) {
          labels.emplace(*label, value);
          return true;
        }
        auto resource = keys::parse_lease_resource_field(field);
        if (!resource) return true;
        if (!lease_flat) {
          if (lease_expired(labels, now_ns_)) return false;
          lease_flat = labels.contains(std::string(kFlatLabel));
        }
        const std::string id(resource->resource);
        if (resource->type == kContentResource) {
          emit(Node{Kind::kContent, n.ns, id}, *lease_flat);
        } else if (resource->type == kIngestsResource) {
          emit(Node{Kind::kIngest, n.ns, id}, *lease_flat);
        } else if (resource->type.starts_with(kSnapshotsResourcePrefix)) {
          emit(Node{Kind::kSnapshot, n.ns,
                    snapshot_id(resource->type.substr(kSnapshotsResourcePrefix.size()), id)},
               *lease_flat);
        }
        return true;
      });
    }
    case Kind::kIngest:
      return {};
    case Kind::kImage: {
      auto value = tx_->get(keys::image_key(n.ns, n.id));
      if (!value.ok()) return value.status();
      if (!value->has_value()) return {};
      auto image = decode_image(n.id, **value);
      if (!image.ok()) return image.status();
      if (!image->target.digest.empty()) full(Node{Kind::kContent, n.ns, image->target.digest});
      label_refs(n.ns, image->labels, full);
      return {};
    }
    case Kind::kContainer: {
      auto value = tx_->get(keys::container_key(n.ns, n.id));
      if (!value.ok()) return value.status();
      if (!value->has_value()) return {};
      auto container = decode_container(n.id, **value);
      if (!container.ok()) return container.status();
      if (!container->snapshotter.empty() && !container->snapshot_key.empty())
        full(Node{Kind::kSnapshot, n.ns, snapshot_id(container->snapshotter, container->snapshot_key)});
      label_refs(n.ns, container->labels, full);
      return {};
    }
  }
  return {};
}

}  // namespace berth::metadata::gc
