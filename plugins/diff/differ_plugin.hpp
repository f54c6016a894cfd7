// The differ plugin's instance: berth::Differ, forwarding to the engine
// (WalkingDiffer, with libarchive, isa-l and zstd) that it loads from
// <lib>/berth/engines/differ-walking-engine.so on the first apply or
// compare, so a daemon start loads none of the libraries libarchive pulls in
// (libxml2, ICU, nettle, acl, lzma, ...).
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "berth/diff.hpp"
#include "berth/instance.hpp"
#include "berth/namespaced_content.hpp"
#include "plugin-engine/plugin_engine.hpp"
#include "walking_differ.hpp"

namespace berth::diff {

// What the engine's entry point makes a WalkingDiffer of.
struct DifferEngineArgs {
  std::shared_ptr<NamespacedContent> content;
  std::filesystem::path root;
  std::filesystem::path state;
  DifferLimits limits;
};
// The engine module's entry point: a differ owned by the caller; null if it
// could not be made.
inline constexpr const char* kEngineEntry = "berth_differ_engine";
using EngineEntry = Differ* (*)(const DifferEngineArgs* args);

class DifferPlugin final : public Instance, public Differ {
 public:
  DifferPlugin(DifferEngineArgs args, std::filesystem::path engine);

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
  plugin_engine::Lazy<Differ> engine_;
};

}  // namespace berth::diff
