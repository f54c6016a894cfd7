#include "container_store.hpp"

#include <optional>
#include <string>

#include "announce.hpp"
#include "berth/filters.hpp"
#include "clock/clock.hpp"
#include "container_record.hpp"
#include "keys.hpp"
#include "namespace_store.hpp"

namespace berth::metadata {
namespace {

constexpr std::string_view kLabelsPrefix = "labels.";
constexpr std::string_view kExtensionsPrefix = "extensions.";

std::string quoted(std::string_view ns, std::string_view id) {
  return "container \"" + keys::printable(id) + "\" in namespace \"" + std::string(ns) + "\"";
}

Status validate_names(std::string_view ns, std::string_view id) {
  BERTH_RETURN_IF_ERROR(validate_identifier(ns).with_context("namespace"));
  if (id.empty()) return invalid_argument("must specify a container id");
  return {};
}

Result<std::optional<Container>> find(Transaction& tx, std::string_view ns, std::string_view id) {
  auto value = tx.get(keys::container_key(ns, id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<Container>();
  auto container = decode_container(id, **value);
  if (!container.ok()) return container.status();
  return std::optional<Container>(std::move(*container));
}

// containerd's container adaptor: id, image, runtime.name and labels.<key>;
// an empty field counts as absent.
std::optional<std::string> container_field(const Container& c, const std::vector<std::string>& path) {
  auto present = [](const std::string& v) {
    return v.empty() ? std::nullopt : std::optional<std::string>(v);
  };
  if (path.empty()) return std::nullopt;
  if (path.size() == 1 && path[0] == "id") return present(c.id);
  if (path.size() == 1 && path[0] == "image") return present(c.image);
  if (path.size() == 2 && path[0] == "runtime" && path[1] == "name") return present(c.runtime.name);
  return label_field(c.labels, path);
}

// One field of `from` into `to`, as containerd's update applies a field mask.
Status apply_field(std::string_view ns, const std::string& path, const Container& from, Container& to) {
  if (path.starts_with(kLabelsPrefix)) {
    const std::string key = path.substr(kLabelsPrefix.size());
    if (auto it = from.labels.find(key); it != from.labels.end() && !it->second.empty()) {
      to.labels[key] = it->second;
    } else {
      to.labels.erase(key);  // an empty or absent value removes the key
    }
  } else if (path.starts_with(kExtensionsPrefix)) {
    const std::string name = path.substr(kExtensionsPrefix.size());
    if (auto it = from.extensions.find(name); it != from.extensions.end()) {
      to.extensions[name] = it->second;
    } else {
      to.extensions.erase(name);
    }
  } else if (path == "labels") {
    to.labels = from.labels;
  } else if (path == "spec") {
    to.spec = from.spec;
  } else if (path == "extensions") {
    to.extensions = from.extensions;
  } else if (path == "image") {
    to.image = from.image;
  } else if (path == "snapshotkey") {
    to.snapshot_key = from.snapshot_key;
  } else {
    return invalid_argument("cannot update \"" + keys::printable(path) + "\" field on " + quoted(ns, to.id));
  }
  return {};
}

Status put(Transaction& tx, std::string_view ns, const Container& c) {
  return tx.put(keys::container_key(ns, c.id), encode_container(c));
}

}  // namespace

Status validate_container(const Container& c) {
  BERTH_RETURN_IF_ERROR(validate_identifier(c.id).with_context("container.ID"));
  for (const auto& [name, any] : c.extensions) {
    if (name.empty()) return invalid_argument("container.Extension keys must not be zero-length");
  }
  BERTH_RETURN_IF_ERROR(validate_labels(c.labels).with_context("containers.Labels"));
  if (c.runtime.name.empty()) return invalid_argument("container.Runtime.Name must be set");
  if (!c.spec) return invalid_argument("container.Spec must be set");
  if (!c.snapshot_key.empty() && c.snapshotter.empty())
    return invalid_argument("container.Snapshotter must be set if container.SnapshotKey is set");
  return {};
}

Result<Container> KvContainerStore::get(Transaction& tx, std::string_view ns, std::string_view id) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, id));
  auto found = find(tx, ns, id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return not_found(quoted(ns, id) + ": not found");
  return std::move(**found);
}

Result<std::vector<Container>> KvContainerStore::list(Transaction& tx, std::string_view ns,
                                                      const std::vector<std::string>& filters) {
  BERTH_RETURN_IF_ERROR(validate_identifier(ns).with_context("namespace"));
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();
  const std::string prefix = keys::kind_prefix(ns, keys::kContainers);
  std::vector<Container> out;
  Status failed;
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
    auto parsed = keys::parse_object_key(prefix, key);
    if (!parsed || parsed->field != keys::kContainerRecord) return true;  // a newer berthd's field
    auto container = decode_container(parsed->id, value);
    if (!container.ok()) {
      failed = container.status();
      return false;
    }
    if (filter->match(
            [&](const std::vector<std::string>& path) { return container_field(*container, path); }))
      out.push_back(std::move(*container));
    return true;
  }));
  BERTH_RETURN_IF_ERROR(failed);
  return out;
}

Result<Container> KvContainerStore::create(Transaction& tx, std::string_view ns, const Container& container) {
  BERTH_RETURN_IF_ERROR(validate_identifier(ns).with_context("namespace"));
  BERTH_RETURN_IF_ERROR(validate_container(container).with_context("create container failed validation"));
  auto found = find(tx, ns, container.id);
  if (!found.ok()) return found.status();
  if (found->has_value()) return already_exists("container \"" + container.id + "\": already exists");
  BERTH_RETURN_IF_ERROR(ensure_namespace(tx, ns));
  Container created = container;
  std::erase_if(created.labels, [](const auto& kv) { return kv.second.empty(); });
  created.created_at = created.updated_at = clock::now_ns();
  BERTH_RETURN_IF_ERROR(put(tx, ns, created));
  announce(tx, events_, ns, events::kContainerCreateTopic,
           events::ContainerCreate{.id = created.id,
                                   .image = created.image,
                                   .runtime_name = created.runtime.name,
                                   .runtime_options = created.runtime.options});
  return created;
}

Result<Container> KvContainerStore::update(Transaction& tx, std::string_view ns, const Container& container,
                                           const std::vector<std::string>& fieldpaths) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, container.id));
  auto found = find(tx, ns, container.id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return not_found(quoted(ns, container.id) + ": not found");
  Container updated = std::move(**found);
  std::vector<std::string> paths = fieldpaths;
  if (paths.empty()) {
    // A whole replace changes only these; the fields that are immutable must
    // not differ, so they may become mutable later without a silent change.
    paths = {"labels", "spec", "extensions", "image", "snapshotkey"};
    if (updated.snapshotter != container.snapshotter)
      return invalid_argument("container.Snapshotter field is immutable");
    if (updated.runtime.name != container.runtime.name)
      return invalid_argument("container.Runtime.Name field is immutable");
  }
  for (const auto& path : paths) BERTH_RETURN_IF_ERROR(apply_field(ns, path, container, updated));
  std::erase_if(updated.labels, [](const auto& kv) { return kv.second.empty(); });
  BERTH_RETURN_IF_ERROR(validate_container(updated).with_context("update failed validation"));
  updated.updated_at = clock::now_ns();
  BERTH_RETURN_IF_ERROR(put(tx, ns, updated));
  announce(tx, events_, ns, events::kContainerUpdateTopic,
           events::ContainerUpdate{.id = updated.id,
                                   .image = updated.image,
                                   .labels = updated.labels,
                                   .snapshot_key = updated.snapshot_key});
  return updated;
}

Status KvContainerStore::remove(Transaction& tx, std::string_view ns, std::string_view id) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, id));
  auto found = find(tx, ns, id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return not_found(quoted(ns, id) + ": not found");
  BERTH_RETURN_IF_ERROR(tx.del(keys::container_key(ns, id)));
  announce(tx, events_, ns, events::kContainerDeleteTopic, events::ContainerDelete{.id = std::string(id)});
  return {};
}

}  // namespace berth::metadata
