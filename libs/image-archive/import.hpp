// Reading an image archive, as `ctr images import` does: an OCI image-layout
// tar (oci-layout, index.json, blobs/sha256/<hex>) or a docker-archive
// (`docker save`, skopeo's docker-archive:; manifest.json over config and
// layer files), plain or gzip-compressed, in one streaming pass. Every blob
// goes through the BlobSink while it is hashed; nothing is held in memory but
// the JSON documents (each within containerd's limits).
//
// What is checked: entry paths stay inside the archive; blobs are regular
// files (links are followed only for a docker-archive's layer files, within
// the archive); each blobs/sha256/<hex> hashes to its name (DataLoss
// otherwise, and its writer is aborted); and every descriptor reachable from
// the index (indexes -> manifests -> config and layers) is in the archive
// with the size it declares (DataLoss for a size lie, InvalidArgument for a
// missing blob). Docker schema 1 is refused. Errors name the entry or blob.
//
// Which file is a blob is known only at the end (a docker-archive names its
// files by path, and manifest.json comes last), so every regular file but
// oci-layout, manifest.json and docker's legacy v1 files (repositories,
// <id>/json, <id>/VERSION) is written as a blob, as containerd does.
//
// Blobs are committed as they verify, before the whole archive is checked;
// a failed import can leave verified but unreferenced blobs behind, so the
// caller writes under a lease and drops it on failure, as containerd does.
#pragma once

#include <string>
#include <vector>

#include "berth/descriptor.hpp"
#include "berth/status.hpp"
#include "image-archive/blob_io.hpp"
#include "platforms/platforms.hpp"

namespace berth::image_archive {

// containerd's annotations naming an image in an index.
inline constexpr std::string_view kImageNameAnnotation = "io.containerd.image.name";
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

enum class ArchiveFormat { kOciLayout, kDockerArchive };

struct ImportOptions {
  // The manifests an index must hold, as containerd's import filters its walk
  // by platform: an index's entry whose platform is none of these is neither
  // required nor checked (entries without a platform always are). Matching is
  // exact after normalization, in this order of preference: pass
  // platforms::compatible(p) for containerd's platforms.Only(p) (ctr's
  // default, with the host), {p} for OnlyStrict(p) (ctr --platform). Empty:
  // every platform (ctr --all-platforms).
  std::vector<platforms::Platform> platforms;
  // Names an index entry that carries only org.opencontainers.image.ref.name:
  // a tag ("1.0") becomes base_name + ":1.0"; a full reference (one with '/',
  // ':' or '@') is taken as it is. Without a base name a bare tag names no
  // image (ctr uses "import-<date>").
  std::string base_name;
  // ctr --base-name: full references not under base_name name no image.
  bool only_base_name = false;
};

struct ImportedImage {
  std::string name;
  Descriptor target;  // the index entry, annotations included
};

struct ImportedBlob {
  Descriptor descriptor;  // media type set when a manifest or index names it
  std::string entry;      // the archive path, or "manifest-<digest>" for a made document
  bool written = false;   // false when the sink already had it
  // For a manifest or index: the blobs it references that the import checked
  // (config and layers; the manifests kept by the platform filter), so the
  // caller can label them for the garbage collector without reading again.
  std::vector<Descriptor> children;
};

struct ImportResult {
  ArchiveFormat format = ArchiveFormat::kOciLayout;
  // index.json, or for a docker-archive the OCI index the importer made over
  // its Docker schema 2 manifests (written as a blob too): ctr's --index-name.
  Descriptor index;
  // One per named entry of the index, in its order (a docker-archive image
  // with several RepoTags gives one each).
  std::vector<ImportedImage> images;
  // Every blob the archive held and the importer made, in archive order.
  std::vector<ImportedBlob> blobs;
};

Result<ImportResult> import_archive(const ByteSource& source, BlobSink& sink,
                                    const ImportOptions& options = {});

}  // namespace berth::image_archive
