// A docker-archive made into what containerd's importer makes of it
// (images/archive/importer.go): for each manifest.json entry a Docker schema 2
// manifest over its config and layer files, the layer media type chosen by
// whether the file is compressed, and an OCI index over those manifests with
// one entry per RepoTag (normalized, as io.containerd.image.name and
// org.opencontainers.image.ref.name) and the platform of the config's os and
// architecture. The JSON is byte-for-byte what containerd 1.6 writes, so the
// same archive imports to the same digests.
#include <nlohmann/json.hpp>

#include "archive_contents.hpp"
#include "descriptor_json.hpp"
#include "entry_path.hpp"
#include "names.hpp"
#include "oci/oci.hpp"
#include "text/text.hpp"

namespace berth::image_archive {
namespace {

constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
// docker save links a layer shared between images; chains of links are
// followed this far before the archive is taken to loop.
constexpr int kMaxLinkHops = 16;

// containerd's compression.DetectCompression: gzip or zstd magic. Like
// containerd, any compressed layer gets the gzip media type (Docker's
// schema 2 has no other).
bool is_compressed(std::string_view head) {
  return head.starts_with("\x1f\x8b") || head.starts_with("\x28\xb5\x2f\xfd");
}

struct DockerEntry {
  std::string config;
  std::vector<std::string> repo_tags;
  std::vector<std::string> layers;
};

Status refused(const std::string& problem) {
  return invalid_argument("docker-archive manifest.json: " + problem);
}

Result<std::vector<DockerEntry>> parse_entries(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return refused(std::string("is not JSON: ") + e.what());
  }
  if (!j.is_array()) return refused("is not an array of images");
  std::vector<DockerEntry> out;
  try {
    for (const auto& item : j) {
      DockerEntry e;
      e.config = item.at("Config").get<std::string>();
      if (item.contains("RepoTags") && !item.at("RepoTags").is_null()) {
        e.repo_tags = item.at("RepoTags").get<std::vector<std::string>>();
      }
      if (item.contains("Layers") && !item.at("Layers").is_null()) {
        e.layers = item.at("Layers").get<std::vector<std::string>>();
      }
      out.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    return refused(std::string("image entry: ") + e.what());
  }
  return out;
}

// The blob a manifest.json path names, through the archive's links.
Result<SeenBlob*> blob_at(ArchiveContents& contents, std::string_view named, const std::string& role) {
  auto path = clean_entry_path(named);
  if (!path.ok()) return refused(role + ": " + path.status().message());
  std::string at = *path;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    if (auto file = contents.files.find(at); file != contents.files.end()) return contents.find(file->second);
    auto link = contents.links.find(at);
    if (link == contents.links.end()) break;
    at = link->second;
  }
  return refused(role + " " + text::quote(named) + " is not a file in the archive");
}

}  // namespace

Result<Descriptor> convert_docker_archive(ArchiveContents& contents, BlobSink& sink) {
  auto entries = parse_entries(*contents.docker_manifest);
  if (!entries.ok()) return entries.status();
  std::vector<OrderedJson> index_entries;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const DockerEntry& entry = (*entries)[i];
    const std::string image = "image " + std::to_string(i);

    auto config_blob = blob_at(contents, entry.config, image + " config");
    if (!config_blob.ok()) return config_blob.status();
    const Descriptor config{std::string(oci::kDockerConfig),
                            (*config_blob)->blob.descriptor.digest,
                            (*config_blob)->blob.descriptor.size,
                            {}};
    auto config_doc = document_of(**config_blob, config, oci::kMaxConfigBytes);
    if (!config_doc.ok()) return config_doc.status();
    auto parsed = oci::parse_config(*config_doc, config);
    if (!parsed.ok()) return parsed.status();

    OrderedJson manifest = OrderedJson::object();
    manifest["schemaVersion"] = 2;
    manifest["mediaType"] = oci::kDockerManifest;
    manifest["config"] = descriptor_json(config);
    manifest["layers"] = OrderedJson::array();
    for (std::size_t l = 0; l < entry.layers.size(); ++l) {
      auto layer = blob_at(contents, entry.layers[l], image + " layer " + std::to_string(l));
      if (!layer.ok()) return layer.status();
      const Descriptor& seen = (*layer)->blob.descriptor;
      manifest["layers"].push_back(
          descriptor_json({std::string(is_compressed((*layer)->head) ? kDockerLayerGzip : kDockerLayer),
                           seen.digest,
                           seen.size,
                           {}}));
    }
    auto desc = write_document(sink, contents, manifest.dump(), oci::kDockerManifest);
    if (!desc.ok()) return desc.status();

    // containerd takes the platform from the config's os and architecture
    // only (images.Platforms), normalized.
    const platforms::Platform platform =
        platforms::normalize({parsed->platform.os, parsed->platform.architecture, ""});
    if (entry.repo_tags.empty()) index_entries.push_back(descriptor_json(*desc, platform));
    for (const auto& tag : entry.repo_tags) {
      auto name = normalize_repo_tag(tag);
      if (!name.ok()) return name.status().with_context("docker-archive " + image);
      Descriptor named = *desc;
      named.annotations[std::string(kImageNameAnnotation)] = *name;
      named.annotations[std::string(kRefNameAnnotation)] = oci_reference_name(*name);
      index_entries.push_back(descriptor_json(named, platform));
    }
  }
  return write_document(sink, contents, index_document(index_entries), oci::kOciIndex);
}

}  // namespace berth::image_archive
