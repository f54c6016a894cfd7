#include "unpacker.hpp"

#include <random>

#include "clock/clock.hpp"
#include "content_labels.hpp"

namespace berth::transfer {
namespace {

std::string extract_key(const std::string& chain_id) {
  std::random_device rd;
  std::uniform_int_distribution<uint32_t> dist;
  return "extract-" + std::to_string(clock::now_ns()) + "-" + std::to_string(dist(rd)) + " " + chain_id;
}

// Removes an active snapshot unless it was committed.
class ActiveSnapshot {
 public:
  ActiveSnapshot(Snapshotter& sn, std::string key) : sn_(sn), key_(std::move(key)) {}
  ActiveSnapshot(const ActiveSnapshot&) = delete;
  ActiveSnapshot& operator=(const ActiveSnapshot&) = delete;
  ~ActiveSnapshot() {
    if (!key_.empty()) (void)sn_.remove(key_);
  }
  [[nodiscard]] const std::string& key() const { return key_; }
  void release() { key_.clear(); }

 private:
  Snapshotter& sn_;
  std::string key_;
};

// What applying a layer came to. kRetry: the stream could not be used (the
// differ cannot stream, or the download started over under it) after bytes
// may have been written: apply again, into a fresh snapshot, from the
// verified blob.
enum class Outcome { kApplied, kRetry };

Result<Outcome> apply_layer(const PullTarget& target, Differ& differ, const UnpackLayer& layer,
                            const std::vector<Mount>& mounts, bool from_blob, const CancelCheck& cancelled) {
  if (layer.download != nullptr) {
    if (!from_blob && layer.download->wait_ready() == GrowingBlob::Ready::kStream) {
      auto streamed = differ.apply_stream(*layer.download, layer.blob, mounts, layer.diff_id, cancelled);
      if (!streamed.ok() &&
          (streamed.status().code() == Code::kUnimplemented || streamed.status().code() == Code::kAborted))
        return Outcome::kRetry;
      // The snapshot is committed only once the bytes it holds are verified
      // (the blob's own commit may still be making it durable).
      BERTH_RETURN_IF_ERROR(layer.download->wait_verified());
      if (!streamed.ok()) return streamed.status();
      return Outcome::kApplied;
    }
    BERTH_RETURN_IF_ERROR(layer.download->wait());
  }
  auto applied = differ.apply(target.scope, layer.blob, mounts, layer.diff_id, cancelled);
  if (!applied.ok()) return applied.status();
  return Outcome::kApplied;
}

Status unpack_layer(const PullTarget& target, Snapshotter& sn, Differ& differ, const UnpackLayer& layer,
                    const std::string& parent, const CancelCheck& cancelled) {
  const std::string what = "unpack layer " + layer.blob.digest;
  for (bool from_blob = false;; from_blob = true) {
    ActiveSnapshot active(sn, extract_key(layer.chain_id));
    auto mounts = sn.prepare(active.key(), parent, {});
    if (!mounts.ok()) {
      active.release();
      return mounts.status().with_context(what);
    }
    target.progress.report("layer", layer.blob.digest, TransferState::kUnpacking, 0, layer.blob.size);
    auto outcome = apply_layer(target, differ, layer, *mounts, from_blob, cancelled);
    if (!outcome.ok()) return outcome.status().with_context(what);
    if (*outcome == Outcome::kRetry) {
      if (from_blob) return internal(what + ": the layer could not be applied from its blob");
      continue;
    }
    Status committed = sn.commit(layer.chain_id, active.key(), {});
    if (committed.code() != Code::kAlreadyExists && !committed.ok()) return committed.with_context(what);
    if (committed.ok()) {
      active.release();
      if (target.journal) target.journal->snapshot(layer.chain_id);
    }  // else: made by another unpack meanwhile; ours goes
    return {};
  }
}

}  // namespace

Status unpack(const PullTarget& target, Snapshotter& snapshotter, Differ& differ,
              const std::vector<UnpackLayer>& layers, const CancelCheck& cancelled) {
  std::string parent;
  for (const UnpackLayer& layer : layers) {
    if (cancelled) BERTH_RETURN_IF_ERROR(cancelled());
    auto existing = snapshotter.stat(layer.chain_id);
    if (existing.ok() && existing->kind == SnapshotKind::kCommitted && target.hold_snapshot) {
      // Another image's, or one a failed transfer left unreferenced: held
      // first, then looked at again (the collector may have taken it
      // between the two; it is unpacked afresh then).
      BERTH_RETURN_IF_ERROR(target.hold_snapshot(layer.chain_id));
      existing = snapshotter.stat(layer.chain_id);
    }
    if (existing.ok() && existing->kind == SnapshotKind::kCommitted) {
      // Unpacked before; the blob must still be fetched for the image to be
      // complete, which the pull waits for.
      if (layer.download) BERTH_RETURN_IF_ERROR(layer.download->wait_verified());
    } else {
      BERTH_RETURN_IF_ERROR(unpack_layer(target, snapshotter, differ, layer, parent, cancelled));
    }
    target.progress.report("layer", layer.blob.digest, TransferState::kDone, layer.blob.size,
                           layer.blob.size);
    parent = layer.chain_id;
  }
  return {};
}

Status label_uncompressed(const PullTarget& target, const std::vector<UnpackLayer>& layers) {
  for (const UnpackLayer& layer : layers)
    BERTH_RETURN_IF_ERROR(label_blob(target, layer.blob, {{std::string(kUncompressedLabel), layer.diff_id}}));
  return {};
}

}  // namespace berth::transfer
