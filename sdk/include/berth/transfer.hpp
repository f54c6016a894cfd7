// Moving images between registries and the local stores: pull (resolve,
// download, verify, unpack) and, as they land, push, import and export.
// containerd 1.6's API has no such service (its clients pull on their own
// side); Berth offers it as berth.services.transfer.v1 so a pull runs next
// to the stores, with layers downloading in parallel and unpacking while
// they arrive.
//
// Interface type "io.containerd.transfer.v1"; plugins/transfer offers it.
#pragma once

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

enum class TransferState {
  kWaiting,      // queued behind the download limit or its parent layer
  kDownloading,  // bytes arriving (offset of total)
  kVerified,     // downloaded, digest and size checked, committed
  kExists,       // already in the store: nothing fetched
  kUnpacking,    // being applied into the snapshotter
  kDone,         // unpacked (layers) or recorded (everything else)
};

std::string_view transfer_state_name(TransferState state);  // "waiting", "downloading", ...

struct TransferProgress {
  std::string kind;  // "index", "manifest", "config", "layer"
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
};

}  // namespace berth
