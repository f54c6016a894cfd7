// containerd 1.6's exporter (images/archive/exporter.go), record for record:
// the images' targets named in index.json, every blob they reach once, the
// platform selection of ExportOptions for indexes, and manifest.json for
// `docker load`. The records are gathered first (documents are small), then
// written in name order, each blob streamed from the source and checked
// against its digest on the way.
#include "image-archive/export.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "descriptor_json.hpp"
#include "digest/digest.hpp"
#include "digest/sha256.hpp"
#include "names.hpp"
#include "oci/oci.hpp"
#include "platform_order.hpp"

namespace berth::image_archive {
namespace {

constexpr std::size_t kChunkBytes = 1u << 20;
constexpr int kMaxDepth = 8;

// One tar entry: a directory, a document made here, or a blob to copy.
struct Record {
  bool directory = false;
  int mode = 0644;
  std::string bytes;
  std::optional<Descriptor> blob;
};

// An image as manifest.json lists it: a manifest and the names it goes by.
struct DockerImage {
  Descriptor manifest;
  std::vector<std::string> names;
};

class Exporter {
 public:
  Exporter(BlobSource& source, const ByteSink& out, const ExportOptions& options)
      : source_(source), out_(out), options_(options), order_(options.platforms) {}

  Status run(const std::vector<ExportImage>& images);

 private:
  Result<std::string> read_document(const Descriptor& desc, std::size_t limit);
  Status add_blob(const Descriptor& desc);
  Status add_tree(const Descriptor& desc, int depth);
  Status add_index(const Descriptor& desc, const std::string& name);
  DockerImage& docker_image(const Descriptor& manifest);
  Status add_docker_manifest();
  Status write_tar();
  Status copy_blob(struct archive* a, const Descriptor& desc);

  BlobSource& source_;
  const ByteSink& out_;
  const ExportOptions& options_;
  PlatformOrder order_;
  std::map<std::string, Record> records_;  // sorted by name: the tar's order
  std::set<std::string> walked_;
  std::vector<DockerImage> docker_;  // in the order the images were given
  std::map<std::string, std::size_t> docker_by_digest_;
  std::map<std::string, std::string> resolved_index_;  // index digest -> manifest digest for manifest.json
  Status write_error_;
};

Result<std::string> Exporter::read_document(const Descriptor& desc, std::size_t limit) {
  if (desc.size < 0 || static_cast<uint64_t>(desc.size) > limit) {
    return invalid_argument(desc.media_type + " " + desc.digest + " is " + std::to_string(desc.size) +
                            " bytes, more than the " + std::to_string(limit >> 20) + " MiB it may have");
  }
  auto reader = source_.open(desc.digest);
  if (!reader.ok()) return reader.status().with_context("export: read " + desc.digest);
  std::string bytes(static_cast<std::size_t>(desc.size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = (*reader)->read_at(static_cast<int64_t>(done), bytes.data() + done, bytes.size() - done);
    if (!n.ok()) return n.status().with_context("export: read " + desc.digest);
    if (*n == 0) break;
    done += *n;
  }
  auto hex = digest::sha256_hex(bytes);
  if (!hex.ok()) return hex.status();
  if (done != bytes.size() || (*reader)->size() != desc.size || "sha256:" + *hex != desc.digest) {
    return data_loss("export: blob " + desc.digest + " in the store does not match its descriptor (" +
                     std::to_string(desc.size) + " bytes)");
  }
  return bytes;
}

Status Exporter::add_blob(const Descriptor& desc) {
  auto hex = digest::sha256_hex_of(desc.digest);
  if (!hex.ok()) return hex.status().with_context("export");
  Record r;
  r.mode = 0444;
  r.blob = desc;
  records_.emplace("blobs/sha256/" + std::string(*hex), std::move(r));
  return {};
}

// Everything `desc` reaches, every platform: containerd's getRecords.
Status Exporter::add_tree(const Descriptor& desc, int depth) {
  if (depth > kMaxDepth) return invalid_argument("export: indexes nest more than 8 deep at " + desc.digest);
  BERTH_RETURN_IF_ERROR(add_blob(desc));
  if (!walked_.insert(desc.digest).second) return {};
  if (oci::is_manifest(desc.media_type)) {
    auto doc = read_document(desc, oci::kMaxManifestBytes);
    if (!doc.ok()) return doc.status();
    auto manifest = oci::parse_manifest(*doc, desc);
    if (!manifest.ok()) return manifest.status();
    BERTH_RETURN_IF_ERROR(add_blob(manifest->config));
    for (const auto& layer : manifest->layers) BERTH_RETURN_IF_ERROR(add_blob(layer));
  } else if (oci::is_index(desc.media_type)) {
    auto doc = read_document(desc, oci::kMaxManifestBytes);
    if (!doc.ok()) return doc.status();
    auto index = oci::parse_index(*doc, desc);
    if (!index.ok()) return index.status();
    for (const auto& entry : index->manifests) BERTH_RETURN_IF_ERROR(add_tree(entry.descriptor, depth + 1));
  }
  return {};
}

DockerImage& Exporter::docker_image(const Descriptor& manifest) {
  auto [it, added] = docker_by_digest_.emplace(manifest.digest, docker_.size());
  if (added) docker_.push_back({manifest, {}});
  return docker_[it->second];
}

// An index target: the index blob as it is, the manifests the platforms
// select with everything under them, and the best of them for manifest.json.
Status Exporter::add_index(const Descriptor& desc, const std::string& name) {
  auto resolved = resolved_index_.find(desc.digest);
  if (resolved == resolved_index_.end()) {
    BERTH_RETURN_IF_ERROR(add_blob(desc));
    auto doc = read_document(desc, oci::kMaxManifestBytes);
    if (!doc.ok()) return doc.status();
    auto index = oci::parse_index(*doc, desc);
    if (!index.ok()) return index.status();
    std::vector<oci::IndexEntry> selected;
    for (const auto& entry : index->manifests) {
      if (!order_.empty()) {
        if (!entry.platform || order_.matches(*entry.platform)) {
          selected.push_back(entry);
        } else if (!options_.all_platforms) {
          continue;
        }
      }
      BERTH_RETURN_IF_ERROR(add_tree(entry.descriptor, 1));
    }
    std::string chosen;
    if (!options_.skip_docker_manifest) {
      if (!selected.empty()) {
        // Best platform first; an entry without a platform after all others.
        std::stable_sort(selected.begin(), selected.end(),
                         [&](const oci::IndexEntry& a, const oci::IndexEntry& b) {
                           if (!a.platform) return false;
                           if (!b.platform) return true;
                           return order_.rank(*a.platform) < order_.rank(*b.platform);
                         });
        chosen = selected.front().descriptor.digest;
        docker_image(selected.front().descriptor);
      } else if (!order_.empty()) {
        return not_found("export: index " + desc.digest + " has no manifest for the platforms asked for");
      }
    }
    resolved = resolved_index_.emplace(desc.digest, chosen).first;
  }
  if (!resolved->second.empty() && !name.empty()) {
    docker_[docker_by_digest_.at(resolved->second)].names.push_back(name);
  }
  return {};
}

Status Exporter::add_docker_manifest() {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& image : docker_) {
    auto doc = read_document(image.manifest, oci::kMaxManifestBytes);
    if (!doc.ok()) return doc.status();
    auto manifest = oci::parse_manifest(*doc, image.manifest);
    if (!manifest.ok()) return manifest.status();
    auto path = [](const Descriptor& d) -> Result<std::string> {
      auto hex = digest::sha256_hex_of(d.digest);
      if (!hex.ok()) return hex.status();
      return "blobs/sha256/" + std::string(*hex);
    };
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    auto config = path(manifest->config);
    if (!config.ok()) return config.status();
    entry["Config"] = *config;
    // Go marshals the empty slices containerd leaves nil as null.
    entry["RepoTags"] = nullptr;
    for (const auto& name : image.names) {
      auto tag = familiar_repo_tag(name);
      if (!tag.ok()) return tag.status();
      entry["RepoTags"].push_back(*tag);
    }
    entry["Layers"] = nullptr;
    for (const auto& layer : manifest->layers) {
      auto p = path(layer);
      if (!p.ok()) return p.status();
      entry["Layers"].push_back(*p);
    }
    list.push_back(std::move(entry));
  }
  records_["manifest.json"] = Record{false, 0644, list.dump(), std::nullopt};
  return {};
}

Status Exporter::run(const std::vector<ExportImage>& images) {
  std::vector<OrderedJson> index_entries;
  for (const auto& image : images) {
    Descriptor desc = image.target;
    if (!image.name.empty()) {
      desc.annotations[std::string(kImageNameAnnotation)] = image.name;
      desc.annotations[std::string(kRefNameAnnotation)] = oci_reference_name(image.name);
    }
    index_entries.push_back(descriptor_json(desc));
    auto name_it = desc.annotations.find(std::string(kImageNameAnnotation));
    const std::string name = name_it == desc.annotations.end() ? std::string() : name_it->second;
    if (oci::is_manifest(desc.media_type)) {
      const bool known = docker_by_digest_.contains(desc.digest);
      if (!known) BERTH_RETURN_IF_ERROR(add_tree(desc, 0));
      if (!options_.skip_docker_manifest) {
        DockerImage& d = docker_image(desc);
        if (!name.empty()) d.names.push_back(name);
      }
    } else if (oci::is_index(desc.media_type)) {
      BERTH_RETURN_IF_ERROR(add_index(desc, name));
    } else {
      return invalid_argument("export: image " + image.name + " targets " + desc.media_type + " " +
                              desc.digest + "; only manifests and indexes may be exported");
    }
  }
  records_["oci-layout"] = Record{false, 0444, "{\"imageLayoutVersion\":\"1.0.0\"}", std::nullopt};
  records_["index.json"] = Record{false, 0644, index_document(index_entries), std::nullopt};
  if (!docker_.empty()) BERTH_RETURN_IF_ERROR(add_docker_manifest());
  if (!walked_.empty() || !resolved_index_.empty()) {
    records_["blobs/"] = Record{true, 0755, {}, std::nullopt};
    records_["blobs/sha256/"] = Record{true, 0755, {}, std::nullopt};
  }
  return write_tar();
}

Status Exporter::copy_blob(struct archive* a, const Descriptor& desc) {
  auto reader = source_.open(desc.digest);
  if (!reader.ok()) return reader.status().with_context("export: read " + desc.digest);
  if ((*reader)->size() != desc.size) {
    return data_loss("export: blob " + desc.digest + " is " + std::to_string((*reader)->size()) +
                     " bytes in the store, " + std::to_string(desc.size) + " by its descriptor");
  }
  auto hash = digest::Sha256::create();
  if (!hash.ok()) return hash.status();
  std::vector<char> buf(std::min<std::size_t>(kChunkBytes, static_cast<std::size_t>(desc.size) + 1));
  int64_t offset = 0;
  while (offset < desc.size) {
    auto n = (*reader)->read_at(offset, buf.data(), buf.size());
    if (!n.ok()) return n.status().with_context("export: read " + desc.digest);
    if (*n == 0) break;
    BERTH_RETURN_IF_ERROR(hash->update(buf.data(), *n));
    if (archive_write_data(a, buf.data(), *n) < 0) {
      if (!write_error_.ok()) return write_error_;
      return internal(std::string("export: write the archive: ") + archive_error_string(a));
    }
    offset += static_cast<int64_t>(*n);
  }
  auto got = hash->digest();
  if (!got.ok()) return got.status();
  if (offset != desc.size || *got != desc.digest) {
    return data_loss("export: blob " + desc.digest + " in the store holds other content (" + *got + ", " +
                     std::to_string(offset) + " bytes)");
  }
  return {};
}

Status Exporter::write_tar() {
  struct archive* a = archive_write_new();
  struct archive_entry* e = archive_entry_new();
  auto cleanup = [&] {
    archive_entry_free(e);
    archive_write_free(a);
  };
  // ustar where it suffices (every name here is short), pax only if needed.
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  auto write_cb = [](struct archive* ar, void* self, const void* buf, size_t len) -> la_ssize_t {
    auto* ex = static_cast<Exporter*>(self);
    Status st = ex->out_(std::string_view(static_cast<const char*>(buf), len));
    if (!st.ok()) {
      ex->write_error_ = st;
      archive_set_error(ar, EIO, "%s", st.message().c_str());
      return -1;
    }
    return static_cast<la_ssize_t>(len);
  };
  auto fail = [&](const std::string& what) {
    Status st =
        write_error_.ok() ? internal("export: " + what + ": " + archive_error_string(a)) : write_error_;
    cleanup();
    return st;
  };
  if (archive_write_open(a, this, nullptr, write_cb, nullptr) != ARCHIVE_OK) return fail("open the archive");
  for (const auto& [name, record] : records_) {
    archive_entry_clear(e);
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, record.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, static_cast<mode_t>(record.mode));
    archive_entry_set_size(e, record.directory ? 0
                              : record.blob    ? record.blob->size
                                               : static_cast<int64_t>(record.bytes.size()));
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK) return fail("write the header of " + name);
    if (record.blob) {
      if (Status st = copy_blob(a, *record.blob); !st.ok()) {
        cleanup();
        return st;
      }
    } else if (!record.bytes.empty() && archive_write_data(a, record.bytes.data(), record.bytes.size()) < 0) {
      return fail("write " + name);
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK) return fail("finish the archive");
  cleanup();
  return {};
}

}  // namespace

Status export_archive(const std::vector<ExportImage>& images, BlobSource& source, const ByteSink& out,
                      const ExportOptions& options) {
  return Exporter(source, out, options).run(images);
}

}  // namespace berth::image_archive
