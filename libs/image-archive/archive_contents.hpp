// What one streaming pass over an archive leaves behind for the checks that
// need the whole archive: each blob's digest and size (its bytes are already
// in the sink), the JSON documents among them, and the file and link names a
// docker-archive's manifest.json refers to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/descriptor.hpp"
#include "berth/status.hpp"
#include "image-archive/blob_io.hpp"
#include "image-archive/import.hpp"

namespace berth::image_archive {

// Documents larger than a config may be are never kept; neither is more than
// this in all, so an archive of many JSON-looking blobs cannot exhaust memory.
inline constexpr std::size_t kMaxKeptDocumentBytes = 64u << 20;

enum class Kept { kYes, kNotJson, kTooLarge, kOverBudget };

struct SeenBlob {
  ImportedBlob blob;  // what the result reports
  Kept kept = Kept::kNotJson;
  std::string json;  // the bytes, when kept
  std::string head;  // the first bytes, to tell a compressed layer
};

struct ArchiveContents {
  std::vector<SeenBlob> blobs;  // archive order
  std::map<std::string, std::size_t> by_digest;
  std::map<std::string, std::string> files;    // entry path -> digest
  std::map<std::string, std::string> links;    // entry path -> the path it leads to
  std::optional<std::string> oci_layout;       // the file's bytes
  std::optional<std::string> docker_manifest;  // manifest.json's bytes
  std::optional<std::string> index_json;       // its digest
  std::size_t kept_bytes = 0;

  SeenBlob* find(std::string_view digest);
  // Records a verified blob (the first of several entries with one digest wins).
  SeenBlob& add(SeenBlob seen);
};

// The JSON of `seen`, which `desc` (a manifest, index or config) names,
// within `limit` bytes: InvalidArgument naming the blob when it is larger,
// ResourceExhausted when the importer had to drop it to stay in memory.
// A blob that did not look like JSON gives "" for the parser to refuse.
Result<std::string_view> document_of(const SeenBlob& seen, const Descriptor& desc, std::size_t limit);

// Writes a document the importer made (a Docker manifest, the index over a
// docker-archive) through the sink and records it.
Result<Descriptor> write_document(BlobSink& sink, ArchiveContents& contents, std::string bytes,
                                  std::string_view media_type);

// Checks everything reachable from `index` (index.json or the made index):
// present, with the declared size, documents parsed within their limits;
// records media types and children in `contents`. `where` names the index
// in errors.
Status verify_tree(ArchiveContents& contents, const Descriptor& index, std::string_view where,
                   const ImportOptions& options);

// Turns a docker-archive's manifest.json into Docker schema 2 manifests and
// an index over them naming the RepoTags, written through `sink`; returns
// the index.
Result<Descriptor> convert_docker_archive(ArchiveContents& contents, BlobSink& sink);

}  // namespace berth::image_archive
