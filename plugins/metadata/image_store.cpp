#include "image_store.hpp"

#include <optional>
#include <string>

#include "announce.hpp"
#include "berth/content_store.hpp"
#include "berth/filters.hpp"
#include "clock/clock.hpp"
#include "image_record.hpp"
#include "keys.hpp"
#include "namespace_store.hpp"

namespace berth::metadata {
namespace {

constexpr std::string_view kLabelsPrefix = "labels.";
constexpr std::string_view kAnnotationsPrefix = "annotations.";

std::string quoted(std::string_view name) { return "image \"" + keys::printable(name) + "\""; }

// The namespace becomes a key component and the name ends at a NUL in every
// key, so both are checked on every call.
Status validate_names(std::string_view ns, std::string_view name) {
  BERTH_RETURN_IF_ERROR(validate_identifier(ns).with_context("namespace"));
  if (name.empty()) return invalid_argument("image name must not be empty");
  if (name.find(keys::kIdTerminator) != std::string_view::npos)
    return invalid_argument(quoted(name) + ": the name holds a NUL byte");
  return {};
}

Result<std::optional<Image>> find(Transaction& tx, std::string_view ns, std::string_view name) {
  auto value = tx.get(keys::image_key(ns, name));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<Image>();
  auto image = decode_image(name, **value);
  if (!image.ok()) return image.status();
  return std::optional<Image>(std::move(*image));
}

// containerd's image adaptor: name, target.mediatype, target.digest and
// labels.<key> (the rest of the path joined back with '.').
std::optional<std::string> image_field(const Image& image, const std::vector<std::string>& path) {
  if (path.empty()) return std::nullopt;
  if (path[0] == "name") return image.name;
  if (path[0] == "target" && path.size() == 2) {
    if (path[1] == "mediatype") return image.target.media_type;
    if (path[1] == "digest") return image.target.digest;
    return std::nullopt;
  }
  return label_field(image.labels, path);
}

// One field of `from` into `to`, as containerd's image update does it: labels
// and annotations one key at a time or whole, the target only whole.
Status apply_field(const std::string& path, const Image& from, Image& to) {
  auto copy_key = [](const Labels& src, Labels& dst, const std::string& key) {
    if (auto it = src.find(key); it != src.end() && !it->second.empty()) {
      dst[key] = it->second;
    } else {
      dst.erase(key);  // an empty or absent value removes the key
    }
  };
  if (path.starts_with(kLabelsPrefix)) {
    copy_key(from.labels, to.labels, path.substr(kLabelsPrefix.size()));
  } else if (path.starts_with(kAnnotationsPrefix)) {
    copy_key(from.target.annotations, to.target.annotations, path.substr(kAnnotationsPrefix.size()));
  } else if (path == "labels") {
    to.labels = from.labels;
  } else if (path == "target") {
    // Only as a whole: a digest without its media type and size means nothing.
    to.target = from.target;
  } else if (path == "annotations") {
    to.target.annotations = from.target.annotations;
  } else {
    return invalid_argument("cannot update \"" + keys::printable(path) + "\" field on " + quoted(to.name));
  }
  return {};
}

Status put(Transaction& tx, std::string_view ns, const Image& image) {
  return tx.put(keys::image_key(ns, image.name), encode_image(image));
}

}  // namespace

Status validate_image(const Image& image) {
  if (image.name.empty()) return invalid_argument("image name must not be empty");
  BERTH_RETURN_IF_ERROR(validate_labels(image.labels).with_context(quoted(image.name) + ": labels"));
  if (image.target.media_type.empty())
    return invalid_argument(quoted(image.name) + ": target media type must not be empty");
  BERTH_RETURN_IF_ERROR(validate_digest(image.target.digest).with_context(quoted(image.name) + ": target"));
  if (image.target.size < 0)
    return invalid_argument(quoted(image.name) + ": target size " + std::to_string(image.target.size) +
                            " is negative");
  return {};
}

Result<Image> KvImageStore::get(Transaction& tx, std::string_view ns, std::string_view name) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, name));
  auto found = find(tx, ns, name);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return not_found(quoted(name) + ": not found");
  return std::move(**found);
}

Result<std::vector<Image>> KvImageStore::list(Transaction& tx, std::string_view ns,
                                              const std::vector<std::string>& filters) {
  BERTH_RETURN_IF_ERROR(validate_identifier(ns).with_context("namespace"));
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return filter.status();
  const std::string prefix = keys::kind_prefix(ns, keys::kImages);
  std::vector<Image> out;
  Status failed;
  // Keys come in name order, so the list is sorted by name.
  BERTH_RETURN_IF_ERROR(tx.scan(prefix, [&](std::string_view key, std::string_view value) {
    auto parsed = keys::parse_object_key(prefix, key);
    // Keys this code did not write (a newer berthd's fields) are passed over.
    if (!parsed || parsed->field != keys::kImageRecord) return true;
    auto image = decode_image(parsed->id, value);
    if (!image.ok()) {
      failed = image.status();
      return false;
    }
    if (filter->match([&](const std::vector<std::string>& path) { return image_field(*image, path); }))
      out.push_back(std::move(*image));
    return true;
  }));
  BERTH_RETURN_IF_ERROR(failed);
  return out;
}

Result<Image> KvImageStore::create(Transaction& tx, std::string_view ns, const Image& image) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, image.name));
  BERTH_RETURN_IF_ERROR(validate_image(image));
  auto found = find(tx, ns, image.name);
  if (!found.ok()) return found.status();
  if (found->has_value()) return already_exists(quoted(image.name) + ": already exists");
  BERTH_RETURN_IF_ERROR(ensure_namespace(tx, ns));
  Image created = image;
  // containerd keeps no empty label values.
  std::erase_if(created.labels, [](const auto& kv) { return kv.second.empty(); });
  created.created_at = created.updated_at = clock::now_ns();
  BERTH_RETURN_IF_ERROR(put(tx, ns, created));
  announce(tx, events_, ns, events::kImageCreateTopic,
           events::ImageCreate{.name = created.name, .labels = created.labels});
  return created;
}

Result<Image> KvImageStore::update(Transaction& tx, std::string_view ns, const Image& image,
                                   const std::vector<std::string>& fieldpaths) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, image.name));
  auto found = find(tx, ns, image.name);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return not_found(quoted(image.name) + ": not found");
  Image updated = std::move(**found);
  if (fieldpaths.empty()) {
    const int64_t created_at = updated.created_at;
    updated = image;
    updated.created_at = created_at;
    std::erase_if(updated.labels, [](const auto& kv) { return kv.second.empty(); });
  } else {
    for (const auto& path : fieldpaths) BERTH_RETURN_IF_ERROR(apply_field(path, image, updated));
  }
  BERTH_RETURN_IF_ERROR(validate_image(updated));
  updated.updated_at = clock::now_ns();
  BERTH_RETURN_IF_ERROR(put(tx, ns, updated));
  announce(tx, events_, ns, events::kImageUpdateTopic,
           events::ImageUpdate{.name = updated.name, .labels = updated.labels});
  return updated;
}

Status KvImageStore::remove(Transaction& tx, std::string_view ns, std::string_view name) {
  BERTH_RETURN_IF_ERROR(validate_names(ns, name));
  auto found = find(tx, ns, name);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return not_found(quoted(name) + ": not found");
  BERTH_RETURN_IF_ERROR(tx.del(keys::image_key(ns, name)));
  announce(tx, events_, ns, events::kImageDeleteTopic, events::ImageDelete{.name = std::string(name)});
  return {};
}

}  // namespace berth::metadata
