// Differs: apply a layer (a tar stream, maybe compressed) to a snapshot's
// mounts, and compute a layer from two sets of mounts. containerd's
// walking differ; interface type "io.containerd.differ.v1".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/cancel.hpp"
#include "berth/descriptor.hpp"
#include "berth/mount.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

inline constexpr std::string_view kDifferPluginType = "io.containerd.differ.v1";

// Layer media types (OCI and Docker names).
inline constexpr std::string_view kMediaTypeLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kMediaTypeDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kMediaTypeDockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";

// A layer's bytes as they arrive (a download in progress): read() blocks
// until there are bytes, returns 0 only at the end, and an error when the
// download failed. The differ reads it from one thread.
class LayerSource {
 public:
  virtual ~LayerSource();
  virtual Result<std::size_t> read(char* buf, std::size_t len) = 0;
};

class Differ {
 public:
  virtual ~Differ();

  // Applies the layer blob `layer` (read from the scope's content) onto
  // `mounts`, the mounts of an active snapshot. The uncompressed stream's
  // digest must equal `diff_id` when it is not empty (FailedPrecondition
  // otherwise). Returns the descriptor of the uncompressed layer (media type
  // kMediaTypeLayerTar, its digest and size). InvalidArgument for mounts a
  // layer cannot be applied onto, NotFound for a directory they name that
  // does not exist (both before anything is written), Unimplemented for a media type it cannot
  // apply, ResourceExhausted for a layer over the differ's limits or too
  // many applies at once, and `cancelled`'s status once that is not OK.
  virtual Result<Descriptor> apply(const ContentScope& scope, const Descriptor& layer,
                                   const std::vector<Mount>& mounts, std::string_view diff_id,
                                   const CancelCheck& cancelled) = 0;

  // As apply, but the layer `layer` describes comes from `source` instead of
  // the content store, so a pull unpacks while it downloads. The bytes are
  // not checked against layer.digest here (the downloader verifies them);
  // the uncompressed stream is checked against `diff_id`. A differ that
  // cannot stream answers Unimplemented (the default): callers then wait for
  // the blob and call apply.
  virtual Result<Descriptor> apply_stream(LayerSource& source, const Descriptor& layer,
                                          const std::vector<Mount>& mounts, std::string_view diff_id,
                                          const CancelCheck& cancelled);

  // Writes a tar+gzip layer with the changes from `lower` to `upper` into the
  // scope's content (under `ref` if not empty; with `labels`), and returns
  // its descriptor. The label "containerd.io/uncompressed" holds the diffID.
  virtual Result<Descriptor> compare(const ContentScope& scope, const std::vector<Mount>& lower,
                                     const std::vector<Mount>& upper, std::string_view media_type,
                                     std::string_view ref, const Labels& labels) = 0;
};

}  // namespace berth
