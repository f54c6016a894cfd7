#include "blob_records.hpp"

#include <system_error>
#include <utility>

#include "berth/filters.hpp"
#include "content_labels.hpp"
#include "keys.hpp"
#include "kv_util.hpp"
#include "text/text.hpp"

namespace berth::metadata {
namespace {

Result<int64_t> parse_int(std::string_view what, std::string_view value) {
  const auto out = text::parse_int(value);
  if (!out) return data_loss(std::string(what) + ": unreadable number \"" + keys::printable(value) + "\"");
  return *out;
}

std::string describe(std::string_view digest, std::string_view ns) {
  return "content " + std::string(digest) + " in namespace \"" + std::string(ns) + "\"";
}

}  // namespace

Status not_found_digest(std::string_view digest) {
  return not_found("content digest " + std::string(digest) + ": not found");
}

Status already_exists_digest(std::string_view digest) {
  return already_exists("content " + std::string(digest) + ": already exists");
}

Result<std::optional<ContentInfo>> read_blob(Transaction& tx, std::string_view ns, std::string_view digest) {
  auto size = tx.get(keys::blob_key(ns, digest, keys::kBlobSize));
  if (!size.ok()) return size.status();
  if (!size->has_value()) return std::optional<ContentInfo>();
  const std::string what = describe(digest, ns);
  ContentInfo info;
  info.digest = std::string(digest);
  auto parsed = parse_int(what + " size", **size);
  if (!parsed.ok()) return parsed.status();
  info.size = *parsed;
  for (auto [field, out] : {std::pair{keys::kBlobCreatedAt, &info.created_at},
                            std::pair{keys::kBlobUpdatedAt, &info.updated_at}}) {
    auto v = tx.get(keys::blob_key(ns, digest, field));
    if (!v.ok()) return v.status();
    if (!v->has_value()) continue;
    auto t = parse_int(what + " " + std::string(field), **v);
    if (!t.ok()) return t.status();
    *out = *t;
  }
  const std::string labels = keys::blob_labels_prefix(ns, digest);
  BERTH_RETURN_IF_ERROR(tx.scan(labels, [&](std::string_view key, std::string_view value) {
    info.labels.emplace(key.substr(labels.size()), value);
    return true;
  }));
  return std::optional<ContentInfo>(std::move(info));
}

Result<bool> has_blob(Transaction& tx, std::string_view ns, std::string_view digest) {
  auto size = tx.get(keys::blob_key(ns, digest, keys::kBlobSize));
  if (!size.ok()) return size.status();
  return size->has_value();
}

Result<std::vector<ContentInfo>> list_blobs(Transaction& tx, std::string_view ns) {
  // One blob's keys are contiguous and blobs come in digest order (keys.hpp),
  // so each record is complete when the next digest starts.
  const std::string prefix = keys::kind_prefix(ns, keys::kBlobs);
  std::vector<ContentInfo> found;
  std::optional<ContentInfo> current;
  bool current_exists = false;
  Status failed;
  auto finish = [&] {
    if (current && current_exists) found.push_back(std::move(*current));
    current.reset();
    current_exists = false;
  };
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
    auto parsed = keys::parse_object_key(prefix, key);
    if (!parsed) return true;
    if (!current || current->digest != parsed->id) {
      finish();
      current.emplace();
      current->digest = std::string(parsed->id);
    }
    if (parsed->field == keys::kBlobSize || parsed->field == keys::kBlobCreatedAt ||
        parsed->field == keys::kBlobUpdatedAt) {
      auto n = parse_int(describe(current->digest, ns) + " " + std::string(parsed->field), value);
      if (!n.ok()) {
        failed = n.status();
        return false;
      }
      if (parsed->field == keys::kBlobSize) {
        current->size = *n;
        current_exists = true;
      } else if (parsed->field == keys::kBlobCreatedAt) {
        current->created_at = *n;
      } else {
        current->updated_at = *n;
      }
    } else if (auto label = keys::parse_lease_label_field(parsed->field)) {
      // Blob labels share the lease layout: "labels\0<key>".
      current->labels.emplace(*label, value);
    }
    return true;
  }));
  BERTH_RETURN_IF_ERROR(failed);
  finish();
  return found;
}

Status put_blob(Transaction& tx, std::string_view ns, std::string_view digest, int64_t size, TimestampNs now,
                const Labels& labels) {
  BERTH_RETURN_IF_ERROR(tx.put(keys::blob_key(ns, digest, keys::kBlobSize), std::to_string(size)));
  BERTH_RETURN_IF_ERROR(tx.put(keys::blob_key(ns, digest, keys::kBlobCreatedAt), std::to_string(now)));
  BERTH_RETURN_IF_ERROR(tx.put(keys::blob_key(ns, digest, keys::kBlobUpdatedAt), std::to_string(now)));
  return put_blob_labels(tx, ns, digest, labels);
}

Status set_blob_updated_at(Transaction& tx, std::string_view ns, std::string_view digest, TimestampNs now) {
  return tx.put(keys::blob_key(ns, digest, keys::kBlobUpdatedAt), std::to_string(now));
}

Status delete_blob(Transaction& tx, std::string_view ns, std::string_view digest) {
  return delete_prefix(tx, keys::object_prefix(keys::kind_prefix(ns, keys::kBlobs), digest));
}

// Every namespace holding blobs was created by ensure_namespace, so the
// namespace markers name them all; one get per namespace.
Result<bool> held_elsewhere(Transaction& tx, std::string_view except, std::string_view digest) {
  std::vector<std::string> names;
  BERTH_RETURN_IF_ERROR(tx.scan(keys::kNamespacesPrefix, [&](std::string_view key, std::string_view) {
    std::string_view name = key.substr(keys::kNamespacesPrefix.size());
    if (name.find('/') == std::string_view::npos && name != except) names.emplace_back(name);
    return true;
  }));
  for (const auto& name : names) {
    auto held = has_blob(tx, name, digest);
    if (!held.ok()) return held.status();
    if (*held) return true;
  }
  return false;
}

std::optional<std::string> content_field(const ContentInfo& info, const std::vector<std::string>& path) {
  if (path.empty()) return std::nullopt;
  if (path[0] == "digest") return info.digest;
  if (path[0] == "size") return std::to_string(info.size);
  return label_field(info.labels, path);
}

}  // namespace berth::metadata
