// The check after the pass: the tree an index names must be in the archive,
// as containerd's import walks it (images.WalkNotEmpty under
// FilterPlatforms): indexes to the manifests the platforms keep, manifests to
// their config and layers. A blob of another media type is a leaf, as
// containerd's images.Children treats it, but it must still be present.
#include <set>

#include "archive_contents.hpp"
#include "oci/oci.hpp"
#include "platform_order.hpp"

namespace berth::image_archive {
namespace {

// Indexes inside indexes: real images nest one level; a hostile archive's
// cycle is caught by `done` anyway, this bounds the recursion's depth.
constexpr int kMaxDepth = 8;

class TreeCheck {
 public:
  TreeCheck(ArchiveContents& contents, const ImportOptions& options)
      : contents_(contents), order_(options.platforms) {}

  Status visit(const Descriptor& desc, const std::string& where, int depth) {
    if (depth > kMaxDepth)
      return invalid_argument(where + ": indexes nest more than " + std::to_string(kMaxDepth) + " deep");
    SeenBlob* seen = contents_.find(desc.digest);
    if (seen == nullptr) {
      return invalid_argument(where + " names blob " + desc.digest + " (" + desc.media_type +
                              "), which the archive lacks");
    }
    if (seen->blob.descriptor.size != desc.size) {
      return data_loss(where + " says blob " + desc.digest + " is " + std::to_string(desc.size) +
                       " bytes; archive entry " + seen->blob.entry + " has " +
                       std::to_string(seen->blob.descriptor.size));
    }
    if (seen->blob.descriptor.media_type.empty()) seen->blob.descriptor.media_type = desc.media_type;
    if (!done_.insert(desc.digest).second) return {};

    if (oci::is_index(desc.media_type)) return visit_index(*seen, desc, depth);
    if (oci::is_manifest(desc.media_type) || desc.media_type.find("manifest.v1+") != std::string::npos) {
      // Schema 1 goes through parse_manifest too, which refuses it by name.
      return visit_manifest(*seen, desc, depth);
    }
    if (desc.media_type == oci::kOciConfig || desc.media_type == oci::kDockerConfig) {
      auto doc = document_of(*seen, desc, oci::kMaxConfigBytes);
      if (!doc.ok()) return doc.status();
      return oci::parse_config(*doc, desc).status();
    }
    return {};
  }

 private:
  Status visit_index(SeenBlob& seen, const Descriptor& desc, int depth) {
    auto doc = document_of(seen, desc, oci::kMaxManifestBytes);
    if (!doc.ok()) return doc.status();
    auto index = oci::parse_index(*doc, desc);
    if (!index.ok()) return index.status();
    std::vector<Descriptor> children;
    for (std::size_t i = 0; i < index->manifests.size(); ++i) {
      const auto& entry = index->manifests[i];
      if (!order_.empty() && entry.platform && !order_.matches(*entry.platform)) continue;
      BERTH_RETURN_IF_ERROR(
          visit(entry.descriptor, "index " + desc.digest + " manifest " + std::to_string(i), depth + 1));
      children.push_back(entry.descriptor);
    }
    // visit() only looks blobs up, never adds one, so `seen` is still valid.
    seen.blob.children = std::move(children);
    return {};
  }

  Status visit_manifest(SeenBlob& seen, const Descriptor& desc, int depth) {
    auto doc = document_of(seen, desc, oci::kMaxManifestBytes);
    if (!doc.ok()) return doc.status();
    auto manifest = oci::parse_manifest(*doc, desc);
    if (!manifest.ok()) return manifest.status();
    const std::string where = "manifest " + desc.digest;
    BERTH_RETURN_IF_ERROR(visit(manifest->config, where + " config", depth + 1));
    std::vector<Descriptor> children{manifest->config};
    for (std::size_t i = 0; i < manifest->layers.size(); ++i) {
      BERTH_RETURN_IF_ERROR(visit(manifest->layers[i], where + " layer " + std::to_string(i), depth + 1));
      children.push_back(manifest->layers[i]);
    }
    seen.blob.children = std::move(children);
    return {};
  }

  ArchiveContents& contents_;
  PlatformOrder order_;
  std::set<std::string> done_;
};

}  // namespace

Status verify_tree(ArchiveContents& contents, const Descriptor& index, std::string_view where,
                   const ImportOptions& options) {
  return TreeCheck(contents, options).visit(index, std::string(where), 0);
}

}  // namespace berth::image_archive
