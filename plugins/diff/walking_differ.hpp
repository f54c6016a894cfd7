// berth::Differ over the apply engine and write_diff: picks where to apply
// (an overlay's upperdir, a bind mount's source, or a temporary mount) and
// moves blobs in and out of the namespace's content.
#pragma once

#include <filesystem>
#include <memory>

#include "berth/diff.hpp"
#include "berth/instance.hpp"
#include "berth/namespaced_content.hpp"

namespace berth::diff {

class WalkingDiffer final : public Instance, public Differ {
 public:
  // Temporary mounts go under `state_dir`.
  WalkingDiffer(std::shared_ptr<NamespacedContent> content, std::filesystem::path state_dir)
      : content_(std::move(content)), state_dir_(std::move(state_dir)) {}

  Result<Descriptor> apply(const ContentScope& scope, const Descriptor& layer,
                           const std::vector<Mount>& mounts, std::string_view diff_id) override;
  Result<Descriptor> compare(const ContentScope& scope, const std::vector<Mount>& lower,
                             const std::vector<Mount>& upper, std::string_view media_type,
                             std::string_view ref, const Labels& labels) override;

 private:
  std::shared_ptr<NamespacedContent> content_;
  std::filesystem::path state_dir_;
};

}  // namespace berth::diff
