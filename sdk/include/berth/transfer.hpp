// Moving images between registries, archives and the local stores: pull
// (resolve, download, verify, unpack), push (upload what the registry lacks,
// mount what it has in another repository), import and export of image
// archives. containerd 1.6's API has no such service (its clients pull and
// push on their own side); Berth offers it as berth.services.transfer.v1 so
// a transfer runs next to the stores, with layers moving in parallel and a
// pull unpacking them while they arrive.
//
// Interface type "io.containerd.transfer.v1"; plugins/transfer offers it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/descriptor.hpp"
#include "berth/diff.hpp"
#include "berth/images.hpp"
#include "berth/namespaced_content.hpp"
#include "berth/status.hpp"

namespace berth {

inline constexpr std::string_view kTransferPluginType = "io.containerd.transfer.v1";

// How to reach the registry of a reference.
struct RegistryAccess {
  bool plain_http = false;   // the registry's default server over http
  bool skip_verify = false;  // the default server without certificate checks
  std::string hosts_dir;     // containerd's hosts directory; "" = the plugin's config_path
  // Credentials for the reference's registry only: never sent to a mirror or
  // to a host a redirect names.
  std::string user;
  std::string secret;
};

struct PullOptions {
  std::string reference;               // "busybox", "host:5000/a/b:tag", "...@sha256:..."
  std::vector<std::string> platforms;  // "linux/arm64"; none = the host's
  bool all_platforms = false;          // download every manifest of an index (unpack the host's)
  std::string snapshotter;             // "" = the plugin's default
  bool unpack = true;
  RegistryAccess registry;
  int max_concurrent_downloads = 0;  // 0 = the plugin's configured limit
  Labels labels;                     // the image record's labels
};

struct PushOptions {
  std::string image;      // the local image record's name (as given, else normalized)
  std::string reference;  // where to push: "host:5000/a/b:tag", "...@sha256:..."; "" = `image`
  // "" = the image as recorded: an index with every manifest it names (each
  // must be in the namespace's content: pull with all_platforms first).
  // "linux/arm64" = that platform's manifest alone, pushed as the image, as
  // `ctr images push --platform` does (an index with fewer manifests would
  // be another document with another digest).
  std::string platform;
  RegistryAccess registry;
  int max_concurrent_uploads = 0;  // 0 = the plugin's configured limit
};

// An image archive read by import_archive: an OCI image-layout tar (what
// `ctr images export`, `berth images export` and skopeo's oci-archive: write)
// or a docker-archive (`docker save`, skopeo's docker-archive:), plain or
// gzip-compressed.
struct ImportOptions {
  // Names an index entry that carries only a tag
  // (org.opencontainers.image.ref.name "1.0"): base_name + ":1.0". Full
  // references in the archive are taken as they are.
  std::string base_name;
  bool only_base_name = false;         // full references not under base_name name no image
  std::vector<std::string> platforms;  // "linux/arm64"; none = the host's (and what runs on it)
  bool all_platforms = false;          // every manifest of an index is checked and kept
  std::string snapshotter;             // "" = the plugin's default
  bool unpack = true;                  // unpack the host's (or the first asked) platform
  Labels labels;                       // the image records' labels
};

// What export_archive writes: an OCI image-layout tar with containerd's name
// annotations and, unless skipped, Docker's manifest.json; the same images
// export byte-identically.
struct ExportOptions {
  std::vector<std::string> images;     // image names in the namespace, at least one
  std::vector<std::string> platforms;  // an index's manifests to include; none = the host's
  bool all_platforms = false;          // every manifest of an index
  bool skip_docker_manifest = false;   // no manifest.json
};

enum class TransferState {
  kWaiting,      // queued behind the download (upload) limit or its parent layer
  kDownloading,  // bytes arriving (offset of total)
  kVerified,     // downloaded, digest and size checked, committed
  kExists,       // already in the store (pull) or the repository (push): nothing sent
  kUnpacking,    // being applied into the snapshotter
  kDone,         // unpacked (layers), recorded (pulled documents) or pushed
  kUploading,    // bytes leaving for the registry (offset of total)
  kMounted,      // the registry mounted it from another of its repositories
};

// "waiting", "downloading", "verified", "exists", "unpacking", "done",
// "uploading", "mounted".
std::string_view transfer_state_name(TransferState state);

struct TransferProgress {
  std::string kind;  // "index", "manifest", "config", "layer"; "blob" for an archive entry
  std::string digest;
  TransferState state = TransferState::kWaiting;
  int64_t offset = 0;  // bytes so far
  int64_t total = 0;   // the blob's size
};

// Called from the transfer's worker threads, one call at a time; it should
// return quickly (a slow callback slows the transfer).
using ProgressFn = std::function<void(const TransferProgress&)>;

class Transfer {
 public:
  virtual ~Transfer();

  // Pulls `options.reference` into the scope's namespace: the index or
  // manifest, the chosen platforms' manifests, configs and layers (each
  // verified by digest and size as it streams, the ones already present
  // skipped), the labels containerd sets for its garbage collector, the
  // image record (created, or its target updated), and, unless told not to,
  // the unpacked snapshots of the host's (or the first asked) platform.
  // Works under the scope's lease, or under one of its own that it removes
  // at the end; what a broken pull kept is resumed by the next.
  // InvalidArgument for a bad reference or platform, NotFound for an image
  // the registry does not have, Unauthenticated for refused credentials,
  // DataLoss for a registry whose bytes lie, Unavailable when it cannot be
  // reached.
  virtual Result<Image> pull(const ContentScope& scope, const PullOptions& options,
                             const ProgressFn& progress, const CancelCheck& cancelled) = 0;

  // Pushes the scope's namespace's image `options.image` to
  // `options.reference`: every blob (configs and layers) the repository
  // lacks, children before the documents that name them, at most
  // max_concurrent_uploads at once. A blob the repository has (HEAD) is not
  // sent; one whose containerd.io/distribution.source.<host> label names
  // another repository on the same registry is mounted from it (the one
  // sharing the longest path prefix with the target) before it is uploaded.
  // Manifests go after their blobs (by digest when an index names them),
  // the root last under the reference's tag (or digest), so a failed push
  // leaves no tag naming an incomplete image. Then each blob's source label
  // gains the target repository, so later pushes can mount from it.
  // Credentials go to the registry's server only, as for pull. Returns the
  // root pushed (the index, or the platform's manifest).
  // NotFound for an image the namespace does not have or a platform its
  // index lacks, FailedPrecondition naming a blob the namespace's content
  // lacks (checked before anything is sent), InvalidArgument for a bad
  // reference or platform, Unauthenticated for refused credentials,
  // PermissionDenied when the registry refuses the push, Unavailable when
  // it cannot be reached.
  virtual Result<Descriptor> push(const ContentScope& scope, const PushOptions& options,
                                  const ProgressFn& progress, const CancelCheck& cancelled) = 0;
  // Imports the image archive `source` gives (up to `len` bytes into `buf`
  // per call, 0 at its end; an error ends the import with that status) into
  // the scope's namespace: every blob, verified by digest and size as it
  // streams; the labels containerd sets for its garbage collector on the
  // indexes and manifests; unless told not to, the unpacked snapshots of
  // each image's host (or first asked) platform; then the image records
  // (created, or their targets updated), in the archive's order. Works
  // under the scope's lease, or under one of its own that it removes at the
  // end, whatever happened: a failed import records no image and leaves
  // nothing held. Progress reports each blob as it is read ("blob", its
  // digest when the archive names it) and each layer as it unpacks.
  // InvalidArgument for a malformed archive or bad option (an entry path
  // leaving the archive, a missing blob, an oversized document, an archive
  // that names no image), DataLoss for a blob whose digest or size lies,
  // NotFound when an image has no manifest for the platform to unpack,
  // FailedPrecondition when a layer's content is not what its config says.
  // `source` and `progress` are called on the calling thread.
  virtual Result<std::vector<Image>> import_archive(
      const ContentScope& scope, const ImportOptions& options,
      const std::function<Result<std::size_t>(char*, std::size_t)>& source, const ProgressFn& progress,
      const CancelCheck& cancelled) = 0;

  // Writes the images `options.images` names, with every blob they need
  // (each verified as it is copied), as one OCI image-layout tar to `sink`,
  // in order, on the calling thread; an error from `sink` ends the export
  // with that status. NotFound naming the first image the namespace lacks
  // (before any byte is written) or a blob it lacks; InvalidArgument for a
  // bad platform. Progress reports each blob as it is copied.
  virtual Status export_archive(const ContentScope& scope, const ExportOptions& options,
                                const std::function<Status(std::string_view)>& sink,
                                const ProgressFn& progress, const CancelCheck& cancelled) = 0;
};

}  // namespace berth
