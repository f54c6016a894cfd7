// Writing an OCI image-layout tar, as `ctr images export` does: oci-layout,
// index.json (one entry per image, named by containerd's annotations),
// blobs/sha256/<hex> (each once, verified against its digest as it is
// copied) and, unless skipped, Docker's manifest.json so `docker load` reads
// the archive too. Deterministic: entries sorted by name, mtime 0, uid and
// gid 0, fixed modes; the same images export byte-identically.
#pragma once

#include <string>
#include <vector>

#include "berth/descriptor.hpp"
#include "berth/status.hpp"
#include "image-archive/blob_io.hpp"
#include "platforms/platforms.hpp"

namespace berth::image_archive {

struct ExportImage {
  // "docker.io/library/busybox:latest"; empty: the entry gets no name
  // annotations (and no RepoTags).
  std::string name;
  Descriptor target;  // a manifest or an index
};

// Platform selection for an index, as containerd 1.6's exporter does it.
// With platforms given, an index's manifests whose platform is none of them
// are left out (unless all_platforms), and the best of those that match
// (earliest in the list; entries without a platform last) is the one
// manifest.json names for the image; the index blob itself is exported as it
// is, so it may name manifests the archive lacks. Without platforms every
// manifest is exported and manifest.json names no manifest of an index.
struct ExportOptions {
  // Exact match after normalization, in order of preference: {host} is ctr's
  // default (platforms.DefaultStrict); platforms::compatible(p) is Only(p).
  std::vector<platforms::Platform> platforms;
  bool all_platforms = false;         // ctr --all-platforms
  bool skip_docker_manifest = false;  // ctr --skip-manifest-json
};

Status export_archive(const std::vector<ExportImage>& images, BlobSource& source, const ByteSink& out,
                      const ExportOptions& options = {});

}  // namespace berth::image_archive
