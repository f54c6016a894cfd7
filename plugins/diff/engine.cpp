// differ-walking-engine.so: the walking differ's engine (layer apply and
// compare over libarchive, isa-l and zstd), loaded by the plugin on its first
// apply or compare (differ_plugin.hpp).
#include <exception>
#include <type_traits>

#include "differ_plugin.hpp"
#include "plugin-engine/plugin_engine.hpp"
#include "walking_differ.hpp"

BERTH_ENGINE_ENTRY berth::Differ* berth_differ_engine(const berth::diff::DifferEngineArgs* args) {
  static_assert(std::is_same_v<decltype(&berth_differ_engine), berth::diff::EngineEntry>);
  // Nothing may leave this function as an exception: the caller is another
  // module.
  try {
    return new berth::diff::WalkingDiffer(args->content, args->root, args->state, args->limits);
  } catch (const std::exception&) {
    return nullptr;
  }
}
