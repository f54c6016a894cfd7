// transfer-local-engine.so: the transfer plugin's engine (pulls, pushes,
// imports and exports, over libcurl and libarchive), loaded by the plugin on
// its first transfer (transfer_plugin.hpp).
#include <new>
#include <type_traits>

#include "local_transfer.hpp"
#include "plugin-engine/plugin_engine.hpp"
#include "transfer_plugin.hpp"

BERTH_ENGINE_ENTRY berth::Transfer* berth_transfer_engine(berth::transfer::TransferDeps* deps) {
  // Nothing may leave this function as an exception: the caller is another
  // module, and the check below keeps the entry point's type the plugin's.
  static_assert(std::is_same_v<decltype(&berth_transfer_engine), berth::transfer::EngineEntry>);
  return new (std::nothrow) berth::transfer::LocalTransfer(std::move(*deps));
}
