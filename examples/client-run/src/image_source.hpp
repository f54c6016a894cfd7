// Where an image's blobs come from: an OCI archive on disk (--import) or a
// registry over HTTP (pull). Both hand out the image's root descriptor and
// stream any blob it reaches by digest.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "result.hpp"

namespace client_run {

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::int64_t size = 0;
};

// Receives a blob piece by piece, in order.
using BlobSink = std::function<Status(std::string_view)>;

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // The index or manifest the reference names.
  virtual Result<Descriptor> root() = 0;
  virtual Status stream(const Descriptor& blob, const BlobSink& sink) = 0;

  // A small blob (index, manifest, config) whole, its size and digest checked.
  Result<std::string> read(const Descriptor& blob);
};

// `archive`: an OCI image layout in a tar file (what `ctr images export` and
// `skopeo copy oci-archive:` write). The image is the manifest annotated with
// `reference` (io.containerd.image.name or org.opencontainers.image.ref.name),
// or the only one.
Result<std::unique_ptr<ImageSource>> open_oci_archive(const std::string& path, const std::string& reference);

// `reference` is host[:port]/repository[:tag|@digest]; anonymous access only.
Result<std::unique_ptr<ImageSource>> open_registry(const std::string& reference, bool plain_http);

}  // namespace client_run
