#include "namespace_store.hpp"

#include <map>
#include <string>
#include <vector>

#include "announce.hpp"
#include "keys.hpp"
#include "kv_util.hpp"

namespace berth::metadata {
namespace {

std::string quoted(std::string_view name) { return "namespace \"" + std::string(name) + "\""; }

Result<bool> exists(Transaction& tx, std::string_view name) {
  auto marker = tx.get(keys::namespace_key(name));
  if (!marker.ok()) return marker.status();
  return marker->has_value();
}

// Validates the name first: an unchecked name holding '/' would address
// another namespace's label keys.
Status require_existing(Transaction& tx, std::string_view name) {
  BERTH_RETURN_IF_ERROR(validate_identifier(name));
  auto found = exists(tx, name);
  if (!found.ok()) return found.status();
  if (!*found) return not_found(quoted(name) + ": not found");
  return {};
}

Status validate_namespace_labels(const Labels& labels) {
  return validate_labels(labels).with_context("namespace.Labels");
}

// The kinds of object still in the namespace, named as containerd names them
// in its "must be empty" error. Leases are left out on purpose: they die with
// the namespace.
Result<std::vector<std::string>> kinds_in_use(Transaction& tx, std::string_view name) {
  std::vector<std::string> kinds;
  for (auto [kind, shown] : {std::pair{keys::kImages, "images"}, std::pair{keys::kBlobs, "blobs"},
                             std::pair{keys::kContainers, "containers"}}) {
    auto any = has_any(tx, keys::kind_prefix(name, kind));
    if (!any.ok()) return any.status();
    if (*any) kinds.emplace_back(shown);
  }
  // This walks every remaining snapshot key, which only happens when the
  // removal is about to be refused anyway; an empty namespace costs one seek.
  const std::string snapshots = keys::kind_prefix(name, keys::kSnapshots);
  std::string last;
  BERTH_RETURN_IF_ERROR(tx.scan(snapshots, [&](std::string_view key, std::string_view) {
    std::string_view rest = key.substr(snapshots.size());
    std::string_view snapshotter = rest.substr(0, rest.find('/'));
    if (snapshotter != last) {
      last = snapshotter;
      kinds.push_back("snapshots on \"" + last + "\" snapshotter");
    }
    return true;
  }));
  return kinds;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ", ";
    out += p;
  }
  return out;
}

}  // namespace

Status KvNamespaceStore::create(Transaction& tx, const Namespace& ns) {
  BERTH_RETURN_IF_ERROR(validate_identifier(ns.name));
  BERTH_RETURN_IF_ERROR(validate_namespace_labels(ns.labels));
  auto found = exists(tx, ns.name);
  if (!found.ok()) return found.status();
  if (*found) return already_exists(quoted(ns.name) + ": already exists");
  BERTH_RETURN_IF_ERROR(tx.put(keys::namespace_key(ns.name), ""));
  // Empty values are stored as given, as containerd's Create does.
  for (const auto& [k, v] : ns.labels)
    BERTH_RETURN_IF_ERROR(tx.put(keys::namespace_label_key(ns.name, k), v));
  announce(tx, events_, ns.name, events::kNamespaceCreateTopic,
           events::NamespaceCreate{.name = ns.name, .labels = ns.labels});
  return {};
}

Result<Namespace> KvNamespaceStore::get(Transaction& tx, std::string_view name) {
  BERTH_RETURN_IF_ERROR(require_existing(tx, name));
  Namespace ns{std::string(name), {}};
  const std::string prefix = keys::namespace_labels_prefix(name);
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
    ns.labels.emplace(key.substr(prefix.size()), value);
    return true;
  }));
  return ns;
}

Result<std::vector<Namespace>> KvNamespaceStore::list(Transaction& tx) {
  // Label keys interleave with other namespaces' markers in byte order
  // ("a", "a-b", "a/labels/x"), so collect by name first.
  struct Entry {
    bool marked = false;
    Labels labels;
  };
  std::map<std::string, Entry, std::less<>> by_name;
  static constexpr std::string_view kLabels = "/labels/";
  BERTH_RETURN_IF_ERROR(tx.scan(keys::kNamespacesPrefix, [&](std::string_view key, std::string_view value) {
    std::string_view rest = key.substr(keys::kNamespacesPrefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      by_name[std::string(rest)].marked = true;
    } else if (rest.substr(slash).starts_with(kLabels)) {
      by_name[std::string(rest.substr(0, slash))].labels.emplace(rest.substr(slash + kLabels.size()), value);
    }
    return true;
  }));
  std::vector<Namespace> out;
  out.reserve(by_name.size());
  for (auto& [name, entry] : by_name) {
    if (entry.marked) out.push_back({name, std::move(entry.labels)});
  }
  return out;
}

Status KvNamespaceStore::set_labels(Transaction& tx, std::string_view name, const Labels& labels) {
  BERTH_RETURN_IF_ERROR(require_existing(tx, name));
  BERTH_RETURN_IF_ERROR(validate_namespace_labels(labels));
  for (const auto& [k, v] : labels) {
    const std::string key = keys::namespace_label_key(name, k);
    BERTH_RETURN_IF_ERROR(v.empty() ? tx.del(key) : tx.put(key, v));
  }
  return announce_update(tx, name);
}

Status KvNamespaceStore::replace_labels(Transaction& tx, std::string_view name, const Labels& labels) {
  BERTH_RETURN_IF_ERROR(require_existing(tx, name));
  BERTH_RETURN_IF_ERROR(validate_namespace_labels(labels));
  BERTH_RETURN_IF_ERROR(delete_prefix(tx, keys::namespace_labels_prefix(name)));
  for (const auto& [k, v] : labels) {
    if (!v.empty()) BERTH_RETURN_IF_ERROR(tx.put(keys::namespace_label_key(name, k), v));
  }
  return announce_update(tx, name);
}

Status KvNamespaceStore::announce_update(Transaction& tx, std::string_view name) {
  if (!events_) return {};
  auto now = get(tx, name);
  if (!now.ok()) return now.status();
  announce(tx, events_, name, events::kNamespaceUpdateTopic,
           events::NamespaceUpdate{.name = std::string(name), .labels = std::move(now->labels)});
  return {};
}

Status KvNamespaceStore::remove(Transaction& tx, std::string_view name) {
  BERTH_RETURN_IF_ERROR(require_existing(tx, name));
  auto kinds = kinds_in_use(tx, name);
  if (!kinds.ok()) return kinds.status();
  if (!kinds->empty()) {
    return failed_precondition(quoted(name) + " must be empty, but it still has " + join(*kinds));
  }
  BERTH_RETURN_IF_ERROR(tx.del(keys::namespace_key(name)));
  BERTH_RETURN_IF_ERROR(delete_prefix(tx, keys::namespace_key(name) + "/"));
  BERTH_RETURN_IF_ERROR(delete_prefix(tx, keys::namespace_objects_prefix(name)));
  announce(tx, events_, name, events::kNamespaceDeleteTopic,
           events::NamespaceDelete{.name = std::string(name)});
  return {};
}

Status ensure_namespace(Transaction& tx, std::string_view name) {
  BERTH_RETURN_IF_ERROR(validate_identifier(name));
  auto found = exists(tx, name);
  if (!found.ok()) return found.status();
  if (*found) return {};
  return tx.put(keys::namespace_key(name), "");
}

}  // namespace berth::metadata
