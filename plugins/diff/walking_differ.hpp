// berth::Differ over the apply engine and write_diff: checks the mounts it
// is given, picks where to apply (an overlay's upperdir, a bind mount's
// source, or a temporary mount), bounds each apply, and moves blobs in and
// out of the namespace's content.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "apply_slots.hpp"
#include "berth/diff.hpp"
#include "berth/instance.hpp"
#include "berth/namespaced_content.hpp"
#include "byte_source.hpp"
#include "decompress.hpp"

namespace berth::diff {

// The plugin's config keys, with their defaults. Generous enough for any
// real image (the largest layers seen in the wild are tens of GiB and a few
// hundred thousand files), finite so that one client cannot fill the disk
// or the inode table, or hold every thread.
struct DifferLimits {
  int64_t max_apply_bytes = int64_t{64} << 30;  // uncompressed tar bytes of one layer
  int64_t max_apply_entries = 1'000'000;        // tar entries of one layer
  int max_concurrent_applies = 16;
};

class WalkingDiffer final : public Instance, public Differ {
 public:
  // `root` and `state` are the plugin's own directories: never an apply
  // target; temporary mounts go under `state`.
  WalkingDiffer(std::shared_ptr<NamespacedContent> content, const std::filesystem::path& root,
                std::filesystem::path state, DifferLimits limits);

  Result<Descriptor> apply(const ContentScope& scope, const Descriptor& layer,
                           const std::vector<Mount>& mounts, std::string_view diff_id,
                           const CancelCheck& cancelled) override;
  Result<Descriptor> apply_stream(LayerSource& source, const Descriptor& layer,
                                  const std::vector<Mount>& mounts, std::string_view diff_id,
                                  const CancelCheck& cancelled) override;
  Result<Descriptor> compare(const ContentScope& scope, const std::vector<Mount>& lower,
                             const std::vector<Mount>& upper, std::string_view media_type,
                             std::string_view ref, const Labels& labels) override;

 private:
  // What both entry points share: the media type and mounts checked and a
  // slot held before `open` gives the layer's bytes to apply_from.
  Result<Descriptor> apply_checked(const Descriptor& layer, const std::vector<Mount>& mounts,
                                   std::string_view diff_id, const CancelCheck& cancelled,
                                   const std::function<Result<std::unique_ptr<ByteSource>>()>& open);
  // The apply itself, once the mounts are checked and a slot is held.
  Result<Descriptor> apply_from(ByteSource& source, Compression compression, const Descriptor& layer,
                                const std::vector<Mount>& mounts, std::string_view diff_id,
                                const CancelCheck& cancelled);

  std::shared_ptr<NamespacedContent> content_;
  std::filesystem::path state_dir_;
  std::vector<std::filesystem::path> own_dirs_;  // canonical root and state
  DifferLimits limits_;
  ApplySlots slots_;
};

}  // namespace berth::diff
