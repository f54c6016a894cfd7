#include "differ_plugin.hpp"

namespace berth::diff {

DifferPlugin::DifferPlugin(DifferEngineArgs args, std::filesystem::path engine)
    : engine_([args = std::move(args), engine = std::move(engine)]() -> Result<std::shared_ptr<Differ>> {
        auto entry = plugin_engine::load_symbol(engine, kEngineEntry);
        if (!entry.ok()) return entry.status();
        Differ* made = reinterpret_cast<EngineEntry>(*entry)(&args);
        if (made == nullptr) return internal("engine " + engine.string() + " could not make a differ");
        return std::shared_ptr<Differ>(made);
      }) {}

Result<Descriptor> DifferPlugin::apply(const ContentScope& scope, const Descriptor& layer,
                                       const std::vector<Mount>& mounts, std::string_view diff_id,
                                       const CancelCheck& cancelled) {
  auto engine = engine_.get();
  if (!engine.ok()) return engine.status();
  return (*engine)->apply(scope, layer, mounts, diff_id, cancelled);
}

Result<Descriptor> DifferPlugin::apply_stream(LayerSource& source, const Descriptor& layer,
                                              const std::vector<Mount>& mounts, std::string_view diff_id,
                                              const CancelCheck& cancelled) {
  auto engine = engine_.get();
  if (!engine.ok()) return engine.status();
  return (*engine)->apply_stream(source, layer, mounts, diff_id, cancelled);
}

Result<Descriptor> DifferPlugin::compare(const ContentScope& scope, const std::vector<Mount>& lower,
                                         const std::vector<Mount>& upper, std::string_view media_type,
                                         std::string_view ref, const Labels& labels) {
  auto engine = engine_.get();
  if (!engine.ok()) return engine.status();
  return (*engine)->compare(scope, lower, upper, media_type, ref, labels);
}

}  // namespace berth::diff
