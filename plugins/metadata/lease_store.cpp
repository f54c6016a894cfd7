#include "lease_store.hpp"

#include <optional>
#include <string>
#include <system_error>

#include "berth/content_store.hpp"
#include "berth/filters.hpp"
#include "clock/clock.hpp"
#include "keys.hpp"
#include "kv_util.hpp"
#include "namespace_store.hpp"
#include "text/text.hpp"

namespace berth::metadata {
namespace {

constexpr std::string_view kContent = "content";
constexpr std::string_view kIngests = "ingests";
constexpr std::string_view kSnapshotsPrefix = "snapshots/";

std::string quoted(std::string_view id) { return "lease \"" + keys::printable(id) + "\""; }

// Both names become key components, so they are checked on every call: a '/'
// in the namespace or a NUL in the lease id would address someone else's keys.
// A lease id needs no more than that: NUL terminates it in every key.
Status validate_names(std::string_view ns, std::string_view id) {
  BERTH_RETURN_IF_ERROR(validate_identifier(ns).with_context("namespace"));
  return validate_lease_id(id);
}

Result<bool> exists(Transaction& tx, std::string_view ns, std::string_view id) {
  auto created = tx.get(keys::lease_created_at_key(ns, id));
  if (!created.ok()) return created.status();
  return created->has_value();
}

Status require_existing(Transaction& tx, std::string_view ns, std::string_view id) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, id));
  auto found = exists(tx, ns, id);
  if (!found.ok()) return found.status();
  if (!*found) return not_found(quoted(id) + ": not found");
  return {};
}

// created_at is written by create() alone, so anything unreadable there is damage.
Result<int64_t> parse_created_at(std::string_view ns, std::string_view id, std::string_view value) {
  const auto ns_since_epoch = text::parse_int(value);
  if (!ns_since_epoch) {
    return data_loss(quoted(id) + " in namespace \"" + std::string(ns) + "\": unreadable created_at \"" +
                     keys::printable(value) + "\"");
  }
  return *ns_since_epoch;
}

// containerd's lease adaptor: "id", and "labels.<key>" where the rest of the
// path is joined back with '.', so labels.a.b finds the label "a.b" unquoted.
std::optional<std::string> lease_field(const Lease& lease, const std::vector<std::string>& path) {
  if (path.empty()) return std::nullopt;
  if (path[0] == "id") return lease.id;
  return label_field(lease.labels, path);
}

}  // namespace

Status validate_lease_id(std::string_view id) {
  if (id.empty()) return invalid_argument("lease id must be provided");
  if (id.find(keys::kIdTerminator) != std::string_view::npos) {
    return invalid_argument("lease id \"" + keys::printable(id) + "\" holds a NUL byte");
  }
  return {};
}

Status validate_lease_resource(const LeaseResource& r) {
  const std::string shown_type = "\"" + keys::printable(r.type) + "\"";
  if (r.type == kContent) {
    BERTH_RETURN_IF_ERROR(validate_digest(r.id).with_context("content resource"));
  } else if (r.type == kIngests) {
    if (r.id.empty()) return invalid_argument("ingests resource: ref must not be empty");
  } else if (r.type.starts_with(kSnapshotsPrefix)) {
    // The snapshotter becomes a key component; snapshotter names are
    // identifiers, as keys.hpp assumes for the snapshots kind.
    BERTH_RETURN_IF_ERROR(validate_identifier(std::string_view(r.type).substr(kSnapshotsPrefix.size()))
                              .with_context("resource type " + shown_type + ": snapshotter"));
    if (r.id.empty()) return invalid_argument(keys::printable(r.type) + " resource: key must not be empty");
  } else if (r.type == "snapshots") {
    return invalid_argument("resource type \"snapshots\" needs a snapshotter: \"snapshots/<snapshotter>\"");
  } else {
    return invalid_argument("unsupported resource type " + shown_type);
  }
  // NUL separates the parts of a resource key (keys.hpp); no digest, ingest
  // ref or snapshot key legitimately holds one.
  if (r.id.find(keys::kIdTerminator) != std::string::npos) {
    return invalid_argument(r.type + " resource \"" + keys::printable(r.id) + "\": holds a NUL byte");
  }
  return {};
}

Result<Lease> KvLeaseStore::create(Transaction& tx, std::string_view ns, const Lease& lease) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, lease.id));
  BERTH_RETURN_IF_ERROR(validate_labels(lease.labels).with_context("lease.Labels"));
  auto found = exists(tx, ns, lease.id);
  if (!found.ok()) return found.status();
  if (*found) return already_exists(quoted(lease.id) + ": already exists");
  BERTH_RETURN_IF_ERROR(ensure_namespace(tx, ns));

  Lease created{lease.id, clock::now_ns(), {}};
  BERTH_RETURN_IF_ERROR(tx.put(keys::lease_created_at_key(ns, lease.id), std::to_string(created.created_at)));
  for (const auto& [k, v] : lease.labels) {
    // containerd stores no empty label values and leaves them out of the
    // lease it returns.
    if (v.empty()) continue;
    BERTH_RETURN_IF_ERROR(tx.put(keys::lease_label_key(ns, lease.id, k), v));
    created.labels.emplace(k, v);
  }
  return created;
}

Status KvLeaseStore::remove(Transaction& tx, std::string_view ns, std::string_view id) {
  BERTH_RETURN_IF_ERROR(require_existing(tx, ns, id));
  // The whole object: created_at, labels and every resource reference.
  return delete_prefix(tx, keys::object_prefix(keys::kind_prefix(ns, keys::kLeases), id));
}

Result<Lease> KvLeaseStore::get(Transaction& tx, std::string_view ns, std::string_view id) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, id));
  auto created = tx.get(keys::lease_created_at_key(ns, id));
  if (!created.ok()) return created.status();
  if (!created->has_value()) return not_found(quoted(id) + ": not found");
  auto created_at = parse_created_at(ns, id, **created);
  if (!created_at.ok()) return created_at.status();

  Lease lease{std::string(id), *created_at, {}};
  // Scanning only the labels keeps get() from stepping over the resources.
  const std::string prefix = keys::lease_labels_prefix(ns, id);
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
    lease.labels.emplace(key.substr(prefix.size()), value);
    return true;
  }));
  return lease;
}

Result<std::vector<Lease>> KvLeaseStore::list(Transaction& tx, std::string_view ns,
                                              const std::vector<std::string>& filters) {
  BERTH_RETURN_IF_ERROR(validate_identifier(ns).with_context("namespace"));
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();

  // One lease's keys are contiguous and leases come in id order (keys.hpp),
  // so each lease is complete when the next id starts.
  const std::string prefix = keys::kind_prefix(ns, keys::kLeases);
  std::vector<Lease> out;
  std::optional<Lease> current;
  bool current_exists = false;
  Status failed;
  auto finish = [&] {
    if (current && current_exists &&
        filter->match([&](const std::vector<std::string>& path) { return lease_field(*current, path); })) {
      out.push_back(std::move(*current));
    }
    current.reset();
    current_exists = false;
  };
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
    auto parsed = keys::parse_object_key(prefix, key);
    // Keys this code did not write (a newer berthd's fields) are passed over.
    if (!parsed) return true;
    if (!current || current->id != parsed->id) {
      finish();
      current.emplace(Lease{std::string(parsed->id), 0, {}});
    }
    if (parsed->field == keys::kLeaseCreatedAt) {
      auto created_at = parse_created_at(ns, parsed->id, value);
      if (!created_at.ok()) {
        failed = created_at.status();
        return false;
      }
      current->created_at = *created_at;
      current_exists = true;
    } else if (auto label = keys::parse_lease_label_field(parsed->field)) {
      current->labels.emplace(*label, value);
    }
    return true;
  }));
  BERTH_RETURN_IF_ERROR(failed);
  finish();
  return out;
}

Status KvLeaseStore::add_resource(Transaction& tx, std::string_view ns, std::string_view lease,
                                  const LeaseResource& resource) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, lease));
  BERTH_RETURN_IF_ERROR(validate_lease_resource(resource));
  BERTH_RETURN_IF_ERROR(require_existing(tx, ns, lease));
  // Putting the same key again is what makes adding idempotent.
  return tx.put(keys::lease_resource_key(ns, lease, resource.type, resource.id), "");
}

Status KvLeaseStore::delete_resource(Transaction& tx, std::string_view ns, std::string_view lease,
                                     const LeaseResource& resource) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, lease));
  BERTH_RETURN_IF_ERROR(validate_lease_resource(resource));
  BERTH_RETURN_IF_ERROR(require_existing(tx, ns, lease));
  return tx.del(keys::lease_resource_key(ns, lease, resource.type, resource.id));
}

Result<std::vector<LeaseResource>> KvLeaseStore::list_resources(Transaction& tx, std::string_view ns,
                                                                std::string_view lease) {
  BERTH_RETURN_IF_ERROR(require_existing(tx, ns, lease));
  const std::string object = keys::object_prefix(keys::kind_prefix(ns, keys::kLeases), lease);
  std::vector<LeaseResource> out;
  // Byte order of "<type>\0<id>" is (type, id) order, so no sort is needed.
  BERTH_RETURN_IF_ERROR(
      tx.scan(keys::lease_resources_prefix(ns, lease), [&](std::string_view key, std::string_view) {
        auto r = keys::parse_lease_resource_field(key.substr(object.size()));
        if (r) out.push_back({std::string(r->resource), std::string(r->type)});
        return true;
      }));
  return out;
}

}  // namespace berth::metadata
